import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");

/** Typechecks one client file with the project's strict options, as a client app would. */
function typecheck(file: string) {
  const options = [
    "--noEmit",
    "--strict",
    "--noUncheckedIndexedAccess",
    "--module",
    "esnext",
    "--moduleResolution",
    "bundler",
  ];
  const more = ["--target", "es2022", "--skipLibCheck", "--customConditions", "@verdict/source", "--types", "node"];
  return spawnSync(process.execPath, [tsc, ...options, ...more, join(here, "fixtures", file)], {
    encoding: "utf8",
    cwd: root,
  });
}

describe("typed client", () => {
  it("a correct input typechecks", () => {
    const r = typecheck("right-input.ts");
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("a wrong input to a procedure fails typechecking in a client", () => {
    const r = typecheck("wrong-input.ts");
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/wrong-input\.ts\(\d+,\d+\): error TS\d+/);
    expect(r.stdout).toMatch(/timeout_seconds|keys/);
  });

  it("the client and the shared schemas load no database driver", async () => {
    for (const entry of ["@verdict/api/client", "@verdict/schema"]) {
      const result = await build({
        stdin: { contents: `export * from "${entry}";`, resolveDir: here, loader: "ts" },
        bundle: true,
        write: false,
        metafile: true,
        platform: "node",
        format: "esm",
        conditions: ["@verdict/source"],
        logLevel: "silent",
      });
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.some((p) => p.includes("@trpc/client") || p.includes("zod"))).toBe(true);
      expect(inputs.filter((p) => /@libsql|libsql|drizzle-orm|packages\/db\//.test(p))).toEqual([]);
    }
  });
});

import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");

/**
 * Typechecks client files with the project's strict options, as a client app would: both fixtures
 * in one compiler run (each run compiles the whole router graph, slow on a loaded machine).
 */
function typecheck(files: string[]) {
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
  return spawnSync(process.execPath, [tsc, ...options, ...more, ...files.map((f) => join(here, "fixtures", f))], {
    encoding: "utf8",
    cwd: root,
  });
}

let checked: ReturnType<typeof typecheck>;
beforeAll(() => {
  checked = typecheck(["right-input.ts", "wrong-input.ts"]);
}, 180_000);

describe("typed client", () => {
  it("a correct input typechecks", () => {
    const lines = (checked.stdout + checked.stderr).split("\n").filter((l) => l.trim() !== "");
    expect(lines.length, checked.stdout).toBeGreaterThan(0); // the wrong file's errors, below
    expect(lines.filter((l) => !l.startsWith(" ") && !/wrong-input\.ts\(\d+,\d+\): error TS\d+/.test(l))).toEqual([]);
  });

  it("a wrong input to a procedure fails typechecking in a client", () => {
    expect(checked.status).not.toBe(0);
    expect(checked.stdout).toMatch(/wrong-input\.ts\(\d+,\d+\): error TS\d+/);
    expect(checked.stdout).toMatch(/timeout_seconds|keys/);
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

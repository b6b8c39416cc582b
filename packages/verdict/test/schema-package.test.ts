import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { REPO_ROOT, ensureAppBuilt, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * @verdict/schema as another service gets it: packed, installed with npm from the tarball (zod from
 * the registry) into a scratch TypeScript project that typechecks against the shipped declarations
 * and runs, with no database driver anywhere in its node_modules or among the modules it loads.
 */
const dir = tempDir("verdict-schema-published-");
const scratch = join(dir.path, "scratch");
const tsc = createRequire(join(REPO_ROOT, "package.json")).resolve("typescript/bin/tsc");

beforeAll(() => {
  ensureAppBuilt("packages/schema", "packages/schema/dist/index.d.ts");
  execFileSync("pnpm", ["pack", "--pack-destination", dir.path], {
    cwd: join(REPO_ROOT, "packages", "schema"),
    stdio: "pipe",
  });
  const tarball = readdirSync(dir.path).find((f) => f.endsWith(".tgz"));
  if (!tarball) throw new Error("pnpm pack wrote no tarball");
  mkdirSync(scratch);
  writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }));
  writeFileSync(
    join(scratch, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: "NodeNext",
        moduleResolution: "NodeNext",
        target: "ES2022",
        outDir: "out",
        types: [],
      },
      include: ["*.ts"],
    }),
  );
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", join(dir.path, tarball)], {
    cwd: scratch,
    stdio: "pipe",
    timeout: 120_000,
  });
}, 240_000);
afterAll(() => dir.cleanup());

describe("the packed @verdict/schema", () => {
  it("typechecks a call against the shipped declarations (a wrong type is an error), runs, loads no database driver", () => {
    writeFileSync(
      join(scratch, "main.ts"),
      `import { instanceStatus, readTimeBound, type InstanceStatus } from "@verdict/schema";
const s: InstanceStatus = instanceStatus.parse("fail");
const b = readTimeBound("2026-01-02", "since");
console.log(JSON.stringify({ s, iso: b.ok ? b.iso : null }));
`,
    );
    writeFileSync(
      join(scratch, "bad.ts"),
      `import { instanceStatus } from "@verdict/schema";\nexport const n: number = instanceStatus.parse("pass");\n`,
    );
    // One compiler run (zod's types are heavy): errors only in bad.ts, and main.ts still emitted.
    const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: scratch, encoding: "utf8" });
    const out = r.stdout + r.stderr;
    expect(r.status).not.toBe(0);
    const errors = out.split("\n").filter((l) => /error TS\d+/.test(l));
    expect(errors.length, out).toBeGreaterThan(0);
    for (const e of errors) expect(e, out).toMatch(/^bad\.ts\(2,\d+\): error TS2322/);

    const ran = execFileSync(process.execPath, ["out/main.js"], { cwd: scratch, encoding: "utf8" });
    const printed = JSON.parse(ran) as { s: string; iso: string | null };
    expect(printed.s).toBe("fail");
    expect(printed.iso).toMatch(/^2026-01-0[12]T\d\d:\d\d:\d\d\.\d{3}Z$/);
    const installed = readdirSync(join(scratch, "node_modules"));
    expect(installed).toContain("zod");
    for (const driver of ["@libsql", "libsql", "drizzle-orm", "better-sqlite3"])
      expect(installed).not.toContain(driver);
    expect(existsSync(join(scratch, "node_modules", "@verdict", "schema", "dist", "index.d.ts"))).toBe(true);
  }, 240_000);
});

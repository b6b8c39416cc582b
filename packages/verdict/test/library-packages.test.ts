import { type ChildProcess, execFileSync, type SpawnSyncReturns, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { REPO_ROOT, ensureAppBuilt, ensureCliBuilt, runCli, spawnListening, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The libraries other services install, as they get them: @verdict/schema and @verdict/client
 * packed, installed with npm from their tarballs (tRPC and zod from the registry) into one scratch
 * TypeScript project, compiled once against the shipped declarations (each wrong type is marked
 * `@ts-expect-error`, so a type that stopped being checked fails the compile), then run; the client
 * against a real `verdict serve`. No database driver in node_modules or among the loaded modules.
 */
const dir = tempDir("verdict-libraries-published-");
const scratch = join(dir.path, "scratch");
const dbUrl = `file:${dir.file("client.db")}`;
const tsc = createRequire(join(REPO_ROOT, "package.json")).resolve("typescript/bin/tsc");
const DRIVERS = ["@libsql", "libsql", "drizzle-orm", "better-sqlite3"];
let server: ChildProcess | undefined;
let url = "";
let token = "";
let compiled: SpawnSyncReturns<string>;

function pack(pkg: string): string {
  const before = new Set(readdirSync(dir.path));
  execFileSync("pnpm", ["pack", "--pack-destination", dir.path], {
    cwd: join(REPO_ROOT, "packages", pkg),
    stdio: "pipe",
  });
  const tarball = readdirSync(dir.path).find((f) => f.endsWith(".tgz") && !before.has(f));
  if (!tarball) throw new Error(`pnpm pack wrote no tarball for ${pkg}`);
  return join(dir.path, tarball);
}

const SCHEMA_USE = `import { instanceStatus, readTimeBound, type InstanceStatus } from "@verdict/schema";
const s: InstanceStatus = instanceStatus.parse("fail");
const b = readTimeBound("2026-01-02", "since");
// @ts-expect-error: a status is a string, not a number
export const n: number = instanceStatus.parse("pass");
console.log(JSON.stringify({ s, iso: b.ok ? b.iso : null }));
`;

const CLIENT_USE = `import { createVerdictClient, type RouterOutputs } from "@verdict/client";

declare const process: { argv: string[] };
const [url, token] = process.argv.slice(2);
const client = createVerdictClient({ url: url ?? "", token });
const page: RouterOutputs["runs"]["list"] = await client.runs.list.query({ limit: 5 });
const first: string | undefined = page.items[0]?.id;
// @ts-expect-error: a run's id is a string, not a number
const wrongOutput: number | undefined = page.items[0]?.id;
let refused = "";
try {
  // @ts-expect-error: limit is a number
  await client.runs.list.query({ limit: "five" });
} catch (e) {
  refused = (e as { data?: { field?: string } }).data?.field ?? "?";
}
console.log(JSON.stringify({ count: page.items.length, first, wrongOutput: typeof wrongOutput, refused }));
`;

beforeAll(async () => {
  const cli = ensureCliBuilt();
  ensureAppBuilt("packages/schema", "packages/schema/dist/index.d.ts");
  ensureAppBuilt("packages/client", "packages/client/dist/index.d.ts");
  const tarballs = [pack("schema"), pack("client")];
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
        // fetch, Request, URL and Disposable (in tRPC's types): from the DOM library, no @types/node here.
        lib: ["ES2022", "DOM", "ESNext.Disposable"],
        outDir: "out",
        types: [],
      },
      include: ["*.ts"],
    }),
  );
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs], {
    cwd: scratch,
    stdio: "pipe",
    timeout: 120_000,
  });
  writeFileSync(join(scratch, "schema-use.ts"), SCHEMA_USE);
  writeFileSync(join(scratch, "client-use.ts"), CLIENT_USE);
  // One compiler run for both (zod's and tRPC's types are heavy).
  compiled = spawnSync(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: scratch, encoding: "utf8" });

  expect((await runCli(["--db", dbUrl, "init", "--seed"])).status).toBe(0);
  const created = await runCli(["--db", dbUrl, "--json", "tokens", "create", "--name", "client", "--scope", "read"]);
  token = (JSON.parse(created.stdout) as { token: string }).token;
  ({ child: server, url } = await spawnListening([cli, "--db", dbUrl, "serve", "--port", "0"], {
    name: "verdict serve",
  }));
}, 240_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server?.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  dir.cleanup();
});

describe("the packed libraries", () => {
  it("typecheck against their shipped declarations: right types compile, every wrong one is an error", () => {
    // An unneeded @ts-expect-error (a wrong type that is no longer an error) fails the compile too.
    expect(compiled.status, compiled.stdout + compiled.stderr).toBe(0);
    const installed = readdirSync(join(scratch, "node_modules"));
    for (const driver of DRIVERS) expect(installed).not.toContain(driver);
    expect(readdirSync(join(scratch, "node_modules", "@verdict")).sort()).toEqual(["client", "schema"]);
    expect(installed).toContain("zod");
    for (const lib of ["schema", "client"])
      expect(existsSync(join(scratch, "node_modules", "@verdict", lib, "dist", "index.d.ts"))).toBe(true);
  });

  it("@verdict/schema runs", () => {
    const printed = JSON.parse(
      execFileSync(process.execPath, ["out/schema-use.js"], { cwd: scratch, encoding: "utf8" }),
    );
    expect(printed.s).toBe("fail");
    expect(printed.iso).toMatch(/^2026-01-0[12]T\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("@verdict/client calls a real server and loads no database driver", () => {
    // Every module the program loads, recorded by a resolve hook.
    const trace = join(dir.path, "loaded.txt");
    writeFileSync(
      join(scratch, "hooks.mjs"),
      `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const found = await next(specifier, context);
  appendFileSync(${JSON.stringify(trace)}, found.url + "\\n");
  return found;
}
`,
    );
    writeFileSync(
      join(scratch, "trace.mjs"),
      `import { register } from "node:module";\nregister("./hooks.mjs", import.meta.url);\n`,
    );
    const ran = execFileSync(process.execPath, ["--import", "./trace.mjs", "out/client-use.js", url, token], {
      cwd: scratch,
      encoding: "utf8",
    });
    const printed = JSON.parse(ran) as { count: number; first?: string; wrongOutput: string; refused: string };
    expect(printed.count).toBeGreaterThan(0);
    expect(printed.first).toMatch(/\S/);
    expect(printed.wrongOutput).toBe("string");
    // the wrong input, sent anyway, is refused by the server naming the field
    expect(printed.refused).toBe("limit");

    const loaded = readFileSync(trace, "utf8").split("\n").filter(Boolean);
    expect(loaded.some((u) => u.includes("/node_modules/@verdict/client/dist/index.js"))).toBe(true);
    expect(loaded.some((u) => u.includes("/node_modules/@trpc/client/"))).toBe(true);
    for (const driver of DRIVERS) expect(loaded.filter((u) => u.includes(`/node_modules/${driver}`))).toEqual([]);
  });
});

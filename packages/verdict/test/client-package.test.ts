import { type ChildProcess, execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { REPO_ROOT, ensureAppBuilt, ensureCliBuilt, runCli, spawnListening, tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * @verdict/client as another service gets it: packed with @verdict/schema, both installed with npm
 * from their tarballs (tRPC and zod from the registry) into a scratch TypeScript project that
 * typechecks calls against the shipped declarations and runs them against a real `verdict serve`,
 * with no database driver in its node_modules or among the modules it loads.
 */
const dir = tempDir("verdict-client-published-");
const scratch = join(dir.path, "scratch");
const dbUrl = `file:${dir.file("client.db")}`;
const tsc = createRequire(join(REPO_ROOT, "package.json")).resolve("typescript/bin/tsc");
const DRIVERS = ["@libsql", "libsql", "drizzle-orm", "better-sqlite3"];
let server: ChildProcess | undefined;
let url = "";
let token = "";

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
        // fetch, Request, URL and Disposable: from the DOM library here (no @types/node installed).
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

describe("the packed @verdict/client", () => {
  it("typechecks calls against the shipped declarations (wrong input and output types are errors), calls a server, loads no database driver", () => {
    writeFileSync(
      join(scratch, "main.ts"),
      `import { createVerdictClient, type RouterOutputs } from "@verdict/client";

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
  refused = (e as { data?: { code?: string; field?: string } }).data?.field ?? "?";
}
console.log(JSON.stringify({ count: page.items.length, first, wrongOutput: typeof wrongOutput, refused }));
`,
    );
    // The directives must each cover an error: an unneeded @ts-expect-error fails the compile.
    const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: scratch, encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);

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
    const ran = execFileSync(process.execPath, ["--import", "./trace.mjs", "out/main.js", url, token], {
      cwd: scratch,
      encoding: "utf8",
    });
    const printed = JSON.parse(ran) as { count: number; first?: string; wrongOutput: string; refused: string };
    expect(printed.count).toBeGreaterThan(0);
    expect(printed.first).toMatch(/\S/);
    expect(printed.wrongOutput).toBe("string");
    expect(printed.refused).toBe("limit");

    const loaded = readFileSync(trace, "utf8").split("\n").filter(Boolean);
    expect(loaded.some((u) => u.includes("/node_modules/@verdict/client/dist/index.js"))).toBe(true);
    expect(loaded.some((u) => u.includes("/node_modules/@trpc/client/"))).toBe(true);
    for (const driver of DRIVERS) expect(loaded.filter((u) => u.includes(`/node_modules/${driver}`))).toEqual([]);
    const installed = readdirSync(join(scratch, "node_modules"));
    for (const driver of DRIVERS) expect(installed).not.toContain(driver);
    expect(installed).not.toContain("@verdict/api");
    expect(readdirSync(join(scratch, "node_modules", "@verdict")).sort()).toEqual(["client", "schema"]);
    expect(existsSync(join(scratch, "node_modules", "@verdict", "client", "dist", "index.d.ts"))).toBe(true);
  }, 240_000);
});

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { ServerConfigError, isLoopback, jsonLogger, parseAllowedHost, startServer } from "@verdict/api";
import { SchemaMismatchError, backupDatabase, checkOutputTarget, databaseFiles, openDatabase } from "@verdict/db";
import { withApi } from "../api.js";
import { UsageError } from "../errors.js";
import { globalsOf, openOptions, parsePositiveInt, requireDatabase, withDb } from "../globals.js";
import { color, info, printJson, printTable, printPage } from "../output.js";
import { examples } from "../help.js";

export function registerServerCommands(program: Command): void {
  program
    .command("serve")
    .addHelpText(
      "after",
      examples(
        "verdict serve                               # http://127.0.0.1:4000, prints a sign-in link",
        "verdict serve --host 0.0.0.0 --port 8080 --allowed-host verdict.internal",
        "LOG_LEVEL=debug verdict serve --migrate --no-web",
      ),
    )
    .description("serve the typed API over HTTP (tRPC at /trpc, liveness at /health)")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--port <port>", "port to listen on (0 = any free port)", "4000")
    .option("--no-auth", "accept requests without a token (loopback addresses only)")
    .option("--migrate", "apply pending migrations before serving")
    .option("--body-limit <bytes>", "largest request body accepted (413 past it)", String(8 * 1024 * 1024))
    .option("--no-web", "do not serve the dashboard at /")
    .option("--open", "open the dashboard in the default browser (signed in through the one-time link)")
    .option(
      "--allowed-host <host>",
      "also accept this name (or name:port) in Host/Origin headers, e.g. behind a proxy; repeatable",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .action(
      async (
        opts: {
          host: string;
          port: string;
          auth: boolean;
          migrate?: boolean;
          bodyLimit: string;
          web: boolean;
          open?: boolean;
          allowedHost: string[];
        },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd);
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new UsageError(`--port: expected 0-65535, got '${opts.port}'`);
        const bodyLimit = parsePositiveInt("--body-limit", opts.bodyLimit) ?? 0;
        for (const a of opts.allowedHost)
          if (!parseAllowedHost(a)) throw new UsageError(`--allowed-host: '${a}' is not a host name or host:port`);
        if (!opts.auth && !isLoopback(opts.host)) {
          throw new UsageError(`--no-auth is only allowed when bound to a loopback address, not ${opts.host}`);
        }
        await requireDatabase(g, Boolean(opts.migrate));
        let db: Awaited<ReturnType<typeof openDatabase>>;
        try {
          db = await openDatabase({ ...openOptions(g), migrate: Boolean(opts.migrate) });
        } catch (e) {
          if (e instanceof SchemaMismatchError) {
            throw new SchemaMismatchError(
              `refusing to serve: ${e.message.replace(/ \(fix: .*\)$/, "")}`,
              "verdict migrate up, or verdict serve --migrate",
            );
          }
          throw e;
        }
        let server: Awaited<ReturnType<typeof startServer>>;
        try {
          const webDir = opts.web ? dashboardDir() : null;
          server = await startServer({
            db,
            host: opts.host,
            port,
            auth: opts.auth,
            bodyLimitBytes: bodyLimit,
            ...(webDir ? { web: { dir: webDir } } : {}),
            allowedHosts: opts.allowedHost,
          });
        } catch (e) {
          db.close();
          if (e instanceof ServerConfigError) throw new UsageError(e.message);
          const err = e as NodeJS.ErrnoException;
          if (err.code === "EADDRINUSE") throw new UsageError(`--port: ${opts.host}:${port} is already in use`);
          throw e;
        }
        if (opts.web) {
          const link = server.loginUrl() ?? `${server.url}/`;
          if (server.loginUrl()) info(`dashboard: open ${link} to sign in (the link works once), or paste a token`);
          else info(`dashboard: ${link}`);
          if (opts.open) openBrowser(link);
        }
        await new Promise<void>((resolveStop) => {
          const stop = (signal: string) => {
            jsonLogger({ level: "info", msg: "shutting down", signal });
            server.close().then(resolveStop, resolveStop);
          };
          process.once("SIGTERM", () => stop("SIGTERM"));
          process.once("SIGINT", () => stop("SIGINT"));
        });
      },
    );

  const tokens = program
    .command("tokens")
    .addHelpText("after", examples("verdict tokens create --name worker-1 --scope write", "verdict tokens list"))
    .description("API tokens for `verdict serve` (scopes: read < write < admin)");
  tokens
    .command("create")
    .addHelpText(
      "after",
      examples(
        "verdict tokens create --name worker-1 --scope write",
        "verdict tokens create --name ci-reader --scope read --json",
      ),
    )
    .description("create a token; its value is shown once")
    .requiredOption("--name <name>", "unique name, e.g. worker-1")
    .option("--scope <scope>", "read, write or admin", "read")
    .action(async (opts: { name: string; scope: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      if (!["read", "write", "admin"].includes(opts.scope))
        throw new UsageError(`--scope: expected read, write or admin, got '${opts.scope}'`);
      const scope = opts.scope as "read" | "write" | "admin";
      const created = await withApi(g, (api) => api.admin.tokens.create.mutate({ name: opts.name, scope }));
      if (g.json) return printJson(created);
      info(`created token ${color.bold(created.name)} (scope ${created.scope}); store it now, it is not shown again:`);
      process.stdout.write(`${created.token}\n`);
    });
  tokens
    .command("list")
    .addHelpText("after", examples("verdict tokens list"))
    .description("list tokens (never their values)")
    .action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const rows = await withApi(g, (api) => api.admin.tokens.list.query());
      if (g.json) return printPage(rows);
      printTable(rows, ["name", "scope", "created_at", "last_used_at", "revoked_at"]);
    });
  tokens
    .command("revoke <name>")
    .addHelpText("after", examples("verdict tokens revoke worker-1"))
    .description("revoke a token; requests with it get 401 from then on")
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = await withApi(g, (api) => api.admin.tokens.revoke.mutate({ name }));
      if (g.json) return printJson({ name, ...r });
      info(`revoked ${name}`);
    });

  program
    .command("backup <out>")
    .addHelpText(
      "after",
      examples("verdict backup backups/verdict-$(date +%F).db", "verdict backup /tmp/copy.db --force"),
    )
    .description(
      "consistent, checked copy of a local database file, safe while a server is writing to it; OUT is replaced only once the copy is complete and checked",
    )
    .option("--force", "replace an existing OUT (never the database itself or its -wal/-shm/-journal)")
    .action(async (out: string, opts: { force?: boolean }, cmd: Command) => {
      const g = globalsOf(cmd);
      if (g.server)
        throw new UsageError("backup works on a local database (--db file:…); for a server, back up its database");
      if (!g.db.startsWith("file:")) throw new UsageError(`--db: backup needs a local file database, not ${g.db}`);
      // Refuse before opening anything (the open database, an existing OUT without --force).
      checkOutputTarget(out, { force: Boolean(opts.force), protect: databaseFiles(g.db) });
      const r = await withDb(g, { skipSchemaCheck: true }, (h) =>
        backupDatabase(h, out, { force: Boolean(opts.force) }),
      );
      if (g.json) return printJson(r);
      info(`${color.green("backed up")} ${g.db} → ${r.backup} (${r.tables} tables, ${r.rows} rows, checked)`);
    });
}

/**
 * The built dashboard, or null when it is not built (the API is served without it): the published
 * `verdict` package ships it as web/ beside its dist/; in the repository it is @verdict/web's dist/.
 */
function dashboardDir(): string | null {
  const shipped = fileURLToPath(new URL("../web/", import.meta.url));
  if (existsSync(join(shipped, "index.html"))) return shipped;
  try {
    const dir = join(dirname(createRequire(import.meta.url).resolve("@verdict/web/package.json")), "dist");
    return existsSync(join(dir, "index.html")) ? dir : null;
  } catch {
    return null;
  }
}

function openBrowser(url: string): void {
  const command = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  const child = spawn(command, [url], { detached: true, stdio: "ignore" });
  child.on("error", () => info(`could not start a browser (${command}); open ${url} yourself`));
  child.unref();
}

import type { Command } from "commander";
import {
  type Domain,
  DOMAINS,
  type MigrateResult,
  migrateDown,
  migrateUp,
  migrationStatus,
  seed,
  validateSchema,
} from "@verdict/db";
import { UsageError } from "../errors.js";
import { type GlobalOptions, globalsOf, withDb } from "../globals.js";
import { examples } from "../help.js";
import { color, info, note, printJson, printPage, printTable } from "../output.js";

function parseDomains(value: string | undefined): Domain[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(",").map((d) => d.trim());
  for (const n of names) {
    if (!(DOMAINS as readonly string[]).includes(n)) {
      throw new UsageError(`--domain: unknown domain '${n}' (expected one of ${DOMAINS.join(", ")})`);
    }
  }
  return names as Domain[];
}

interface MigrateFlags {
  to?: string;
  dryRun?: boolean;
  force?: boolean;
  domain?: string;
}

function reportMigration(g: GlobalOptions, verb: string, result: MigrateResult): void {
  if (g.json) {
    printJson({ dry_run: result.dryRun, migrations: result.applied });
    return;
  }
  if (result.dryRun) {
    if (result.applied.length === 0) note("nothing to do");
    for (const step of result.applied) {
      process.stdout.write(`-- ${step.direction} ${step.domain}/${step.name}\n`);
      for (const s of step.statements) process.stdout.write(`${s.trimEnd()};\n`);
    }
    return;
  }
  if (result.applied.length === 0) note(`${verb}: already up to date`);
  for (const step of result.applied) info(`${color.green(verb)} ${step.domain}/${step.name}`);
}

export function registerDbCommands(program: Command): void {
  program
    .command("init")
    .addHelpText(
      "after",
      examples(
        "verdict init --seed                     # data/verdict.db with sample data",
        "verdict --db file:/srv/verdict/qa.db init --domain runs,metrics",
      ),
    )
    .description("create the database (all domains, migrated) and optionally add sample data")
    .option("--seed", "add sample data for every domain")
    .option("--domain <names>", `only these domains (${DOMAINS.join(",")})`)
    .action(async (opts: { seed?: boolean; domain?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const domains = parseDomains(opts.domain) ?? [...DOMAINS];
      await withDb(g, { skipSchemaCheck: true, creates: true }, async (h) => {
        const result = await migrateUp(h.client, { domains });
        const seeded = opts.seed ? await seed(h) : null;
        if (g.json) {
          printJson({
            database: g.db,
            migrated: result.applied.map((a) => `${a.domain}/${a.name}`),
            seeded: seeded?.added ?? null,
          });
          return;
        }
        info(`${color.green("ready")} ${g.db} (${result.applied.length} migration(s) applied)`);
        if (seeded)
          info(
            `seeded: ${Object.entries(seeded.added)
              .map(([k, v]) => `${v} ${k}`)
              .join(", ")}`,
          );
      });
    });

  const migrate = program
    .command("migrate")
    .addHelpText("after", examples("verdict migrate status", "verdict migrate up"))
    .description("apply, revert, inspect and validate schema migrations");
  const domainOpt = `--domain <names>`;
  const domainHelp = `limit to these domains (${DOMAINS.join(",")})`;

  migrate
    .command("up")
    .addHelpText("after", examples("verdict migrate up", "verdict migrate up --domain runs --dry-run"))
    .description("apply pending migrations (all, or up to --to NAME)")
    .option("--to <name>", "stop after this migration")
    .option("--dry-run", "print the SQL instead of running it")
    .option(domainOpt, domainHelp)
    .action(async (opts: MigrateFlags, cmd: Command) => {
      const g = globalsOf(cmd);
      const domains: Domain[] = parseDomains(opts.domain) ?? [...DOMAINS];
      await withDb(g, { skipSchemaCheck: true, creates: true }, async (h) => {
        const r = await migrateUp(h.client, {
          domains,
          ...(opts.to ? { to: opts.to } : {}),
          dryRun: Boolean(opts.dryRun),
        });
        reportMigration(g, "applied", r);
      });
    });

  migrate
    .command("down")
    .addHelpText("after", examples("verdict migrate down --to 0 --domain queue --dry-run"))
    .description("revert migrations newer than --to NAME (--to 0 reverts all)")
    .requiredOption("--to <name>", "keep this migration and everything before it; 0 for none")
    .option("--force", "drop tables even when they hold rows")
    .option("--dry-run", "print the SQL instead of running it")
    .option(domainOpt, domainHelp)
    .action(async (opts: MigrateFlags & { to: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const domains: Domain[] = parseDomains(opts.domain) ?? [...DOMAINS];
      await withDb(g, { skipSchemaCheck: true }, async (h) => {
        const r = await migrateDown(h.client, {
          domains,
          to: opts.to,
          force: Boolean(opts.force),
          dryRun: Boolean(opts.dryRun),
        });
        reportMigration(g, "reverted", r);
      });
    });

  migrate
    .command("status")
    .addHelpText("after", examples("verdict migrate status", "verdict migrate status --json"))
    .description("list migrations and whether each is applied, pending, changed or missing")
    .option(domainOpt, domainHelp)
    .action(async (opts: MigrateFlags, cmd: Command) => {
      const g = globalsOf(cmd);
      await withDb(g, { skipSchemaCheck: true }, async (h) => {
        const rows = await migrationStatus(h.client, parseDomains(opts.domain) ?? DOMAINS);
        const bad = rows.filter((r) => r.state === "changed" || r.state === "missing");
        if (bad.length > 0) process.exitCode = 1;
        if (g.json) return printPage(rows);
        printTable(
          rows.map((r) => ({ ...r, state: r.state === "applied" ? color.green(r.state) : color.yellow(r.state) })),
          ["domain", "name", "state", "applied_at"],
        );
      });
    });

  migrate
    .command("validate")
    .addHelpText("after", examples("verdict migrate validate"))
    .description("compare the live schema (tables, columns, indexes, constraints, triggers) with the migrations")
    .option(domainOpt, domainHelp)
    .action(async (opts: MigrateFlags, cmd: Command) => {
      const g = globalsOf(cmd);
      const domains = parseDomains(opts.domain) ?? DOMAINS;
      await withDb(g, { skipSchemaCheck: true }, async (h) => {
        const status = await migrationStatus(h.client, domains);
        const tampered = status.filter((r) => r.state === "changed" || r.state === "missing");
        const diffs = await validateSchema(h.client, { domains });
        const pending = status.filter((r) => r.state === "pending");
        const ok = tampered.length === 0 && diffs.length === 0;
        if (g.json) {
          printJson({ ok, tampered, pending: pending.map((p) => `${p.domain}/${p.name}`), differences: diffs });
        } else {
          for (const t of tampered) {
            info(color.red(`${t.state}: ${t.domain}/${t.name}${t.file ? ` (${t.file})` : ""}`));
          }
          for (const d of diffs) info(color.red(`${d.kind} ${d.type} ${d.name}`));
          if (pending.length > 0)
            info(color.yellow(`pending: ${pending.map((p) => `${p.domain}/${p.name}`).join(", ")}`));
          info(ok ? color.green("schema valid") : color.red("schema invalid"));
        }
        if (!ok) process.exitCode = 1;
      });
    });

  program
    .command("seed")
    .addHelpText("after", examples("verdict seed"))
    .description("add realistic sample data to every domain (idempotent)")
    .action(async (_opts: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      await withDb(g, {}, async (h) => {
        const r = await seed(h);
        if (g.json) return printJson(r);
        info(
          `seeded: ${Object.entries(r.added)
            .map(([k, v]) => `${v} ${k}`)
            .join(", ")}`,
        );
      });
    });
}

/**
 * Foundation costs of @verdict/db, each against a baseline measured in the same run:
 * (a) openDatabase + close of an up-to-date file database (WAL/foreign-key pragmas, ledger read and
 *     migration check) vs a bare createClient + `SELECT 1` + close of the same file;
 * (b) a full migrate of an empty file database through openDatabase({ migrate: true }) (ledger, one
 *     transaction per migration, foreign-key check, then the open check) vs the same SQL run by one
 *     plain executeMultiple in a single transaction on a bare client with the same WAL settings.
 * Subject and baseline alternate iteration by iteration, so drift on a noisy machine hits both alike.
 */
import { createClient } from "@libsql/client";
import { DOMAINS, loadMigrationFiles, openDatabase } from "@verdict/db";
import { tempDir } from "@verdict/testing";
import { fmt, percentile, table } from "./lib/measure.js";

const OPEN_N = Number(process.env.BENCH_OPEN_N ?? 400);
const MIGRATE_N = Number(process.env.BENCH_MIGRATE_N ?? 40);
const OPEN_TARGET_MS = 20;
const MIGRATE_TARGET_MS = 300;

const dir = tempDir("verdict-bench-open-");
let fileNo = 0;
const freshUrl = () => `file:${dir.file(`m${++fileNo}.db`)}`;

interface Stats {
  p50: number;
  p95: number;
}
function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
}

/** Runs subject and baseline alternately (order flipped every iteration) and returns both sample sets. */
async function alternate(
  n: number,
  warmup: number,
  subject: () => Promise<void>,
  baseline: () => Promise<void>,
): Promise<{ subject: Stats; baseline: Stats }> {
  const s: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < warmup + n; i++) {
    const order: [() => Promise<void>, number[]][] =
      i % 2 === 0
        ? [
            [subject, s],
            [baseline, b],
          ]
        : [
            [baseline, b],
            [subject, s],
          ];
    for (const [fn, into] of order) {
      const t = performance.now();
      await fn();
      const ms = performance.now() - t;
      if (i >= warmup) into.push(ms);
    }
  }
  return { subject: stats(s), baseline: stats(b) };
}

// (a) open + schema check of an up-to-date file database.
const openUrl = `file:${dir.file("open.db")}`;
(await openDatabase({ url: openUrl, migrate: true })).close();
const open = await alternate(
  OPEN_N,
  50,
  async () => {
    const h = await openDatabase({ url: openUrl });
    h.close();
  },
  async () => {
    const c = createClient({ url: openUrl });
    await c.execute("SELECT 1");
    c.close();
  },
);

// (b) full migrate of an empty file database. The baseline runs the very same statements.
const allSql = DOMAINS.flatMap((d) => loadMigrationFiles(d))
  .map((f) => f.up.map((s) => `${s.trim().replace(/;$/, "")};`).join("\n"))
  .join("\n");
const migrationCount = DOMAINS.flatMap((d) => loadMigrationFiles(d)).length;
const migrate = await alternate(
  MIGRATE_N,
  5,
  async () => {
    const h = await openDatabase({ url: freshUrl(), migrate: true });
    h.close();
  },
  async () => {
    // The cheapest way to the same schema: same journal settings, all statements in one transaction.
    const c = createClient({ url: freshUrl() });
    await c.execute("PRAGMA journal_mode = WAL");
    await c.execute("PRAGMA synchronous = NORMAL");
    await c.executeMultiple(`BEGIN;\n${allSql}\nCOMMIT;`);
    c.close();
  },
);

// Both paths must have built the same schema, or the comparison means nothing.
const check = async (url: string) => {
  const c = createClient({ url });
  const rs = await c.execute("SELECT count(*) AS n FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'");
  c.close();
  return Number(rs.rows[0]?.n);
};
const subjectObjects = (await check(`file:${dir.file("m1.db")}`)) - 1; // minus the ledger table
const baselineObjects = await check(`file:${dir.file("m2.db")}`);
if (subjectObjects !== baselineObjects) {
  throw new Error(`schemas differ: runner built ${subjectObjects} objects, baseline ${baselineObjects}`);
}

const ratio = (a: number, b: number) => `${fmt(a / b, 1)}×`;
const verdict = (v: number, target: number) => (v < target ? "yes" : "NO");
console.log(
  `\nopen: ${OPEN_N} iterations after 50 warm-up; migrate: ${MIGRATE_N} fresh files after 5 warm-up; ${migrationCount} migrations, ${baselineObjects} schema objects\n`,
);
console.log(
  table(
    [
      "measurement",
      "p50 ms",
      "p95 ms",
      "baseline",
      "baseline p50 ms",
      "baseline p95 ms",
      "ratio p50",
      "target",
      "p95 within target",
    ],
    [
      [
        "(a) openDatabase + schema check + close, up-to-date file",
        fmt(open.subject.p50),
        fmt(open.subject.p95),
        "createClient + SELECT 1 + close",
        fmt(open.baseline.p50),
        fmt(open.baseline.p95),
        ratio(open.subject.p50, open.baseline.p50),
        `< ${OPEN_TARGET_MS} ms`,
        verdict(open.subject.p95, OPEN_TARGET_MS),
      ],
      [
        "(b) openDatabase({ migrate: true }) of an empty file",
        fmt(migrate.subject.p50),
        fmt(migrate.subject.p95),
        "same SQL, one executeMultiple in one transaction",
        fmt(migrate.baseline.p50),
        fmt(migrate.baseline.p95),
        ratio(migrate.subject.p50, migrate.baseline.p50),
        `< ${MIGRATE_TARGET_MS} ms`,
        verdict(migrate.subject.p95, MIGRATE_TARGET_MS),
      ],
    ],
  ),
);
dir.cleanup();

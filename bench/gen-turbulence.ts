/**
 * Writes a synthetic turbulence run folder (current shape) of any size, streaming, with a realistic
 * mix: several scenarios of 3–10 steps each (http/grpc/wait/assert/decide), a few percent failed and
 * errored instances, long-tailed (lognormal) latencies per service, extra observation keys,
 * seeded variations and 1–3 assertions per instance. Same arguments, same bytes.
 *
 *   tsx bench/gen-turbulence.ts --out DIR (--instances N | --steps N) [--seed S] [--run-id ID] [--sut NAME]
 */
import { once } from "node:events";
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface GenOptions {
  out: string;
  /** Stop after this many instances… */
  instances?: number;
  /** …or once this many steps are written (whole instances; the count is exact). */
  steps?: number;
  seed?: number;
  runId?: string;
  sut?: string;
  /** Start time of the run, ms since the epoch. */
  startMs?: number;
}

export interface GenResult {
  dir: string;
  runId: string;
  instances: number;
  steps: number;
  assertions: number;
  failed: number;
  bytes: number;
}

type StepType = "http" | "grpc" | "wait" | "assert" | "decide";
interface StepDef {
  name: string;
  type: StepType;
  service: string;
}
interface ScenarioDef {
  id: string;
  weight: number;
  failRate: number;
  steps: StepDef[];
}

const SERVICES: Record<string, { mu: number; sigma: number }> = {
  gateway: { mu: Math.log(18), sigma: 0.45 },
  orders: { mu: Math.log(42), sigma: 0.6 },
  payments: { mu: Math.log(95), sigma: 0.75 },
  inventory: { mu: Math.log(30), sigma: 0.55 },
  search: { mu: Math.log(60), sigma: 0.8 },
  accounts: { mu: Math.log(25), sigma: 0.5 },
  local: { mu: Math.log(1.5), sigma: 0.3 },
};

const s = (name: string, type: StepType, service: string): StepDef => ({ name, type, service });
const SCENARIOS: ScenarioDef[] = [
  {
    id: "checkout",
    weight: 5,
    failRate: 0.04,
    steps: [
      s("login", "http", "accounts"),
      s("add_to_cart", "http", "orders"),
      s("reserve_stock", "grpc", "inventory"),
      s("think", "wait", "local"),
      s("pay", "http", "payments"),
      s("confirm_order", "http", "orders"),
      s("check_receipt", "assert", "local"),
    ],
  },
  {
    id: "browse",
    weight: 8,
    failRate: 0.01,
    steps: [s("home", "http", "gateway"), s("search", "http", "search"), s("product_page", "http", "gateway")],
  },
  {
    id: "search_filters",
    weight: 4,
    failRate: 0.02,
    steps: [
      s("home", "http", "gateway"),
      s("search", "http", "search"),
      s("apply_filter", "http", "search"),
      s("sort_results", "http", "search"),
      s("check_results", "assert", "local"),
    ],
  },
  {
    id: "refund",
    weight: 1,
    failRate: 0.06,
    steps: [
      s("login", "http", "accounts"),
      s("list_orders", "http", "orders"),
      s("choose_order", "decide", "local"),
      s("request_refund", "http", "payments"),
      s("wait_refund", "wait", "local"),
      s("poll_refund", "http", "payments"),
      s("check_refund", "assert", "local"),
      s("notify", "grpc", "accounts"),
    ],
  },
  {
    id: "account_update",
    weight: 2,
    failRate: 0.03,
    steps: [
      s("login", "http", "accounts"),
      s("get_profile", "grpc", "accounts"),
      s("update_profile", "http", "accounts"),
      s("check_profile", "assert", "local"),
    ],
  },
  {
    id: "inventory_sync",
    weight: 2,
    failRate: 0.025,
    steps: [
      s("list_skus", "grpc", "inventory"),
      s("diff", "decide", "local"),
      s("push_batch_1", "grpc", "inventory"),
      s("push_batch_2", "grpc", "inventory"),
      s("push_batch_3", "grpc", "inventory"),
      s("wait_settle", "wait", "local"),
      s("verify_counts", "http", "inventory"),
      s("check_counts", "assert", "local"),
      s("report", "http", "gateway"),
      s("close", "http", "gateway"),
    ],
  },
];
const TOTAL_WEIGHT = SCENARIOS.reduce((a, x) => a + x.weight, 0);

const ERRORS = [
  (r: () => number) => `timeout after ${3000 + Math.floor(r() * 2000)}ms`,
  () => "connection reset by peer",
  (r: () => number) => `HTTP 503 from payments (request ${Math.floor(r() * 1e9).toString(16)})`,
  () => "TLS handshake failed",
];

/** mulberry32: small, fast, seedable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** ISO-8601 UTC with microseconds, like the tool writes. */
function iso(us: number): string {
  const ms = Math.floor(us / 1000);
  const frac = String(Math.floor(us % 1000)).padStart(3, "0");
  return new Date(ms).toISOString().replace("Z", `${frac}Z`);
}

class Lines {
  private buf = "";
  bytes = 0;
  private stream: WriteStream;
  constructor(path: string) {
    this.stream = createWriteStream(path);
  }
  async add(line: string): Promise<void> {
    this.buf += `${line}\n`;
    if (this.buf.length > 1 << 20) await this.flush();
  }
  private async flush(): Promise<void> {
    const chunk = this.buf;
    this.buf = "";
    this.bytes += Buffer.byteLength(chunk);
    if (!this.stream.write(chunk)) await once(this.stream, "drain");
  }
  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, "close");
  }
}

export async function generateRun(o: GenOptions): Promise<GenResult> {
  if (o.instances === undefined && o.steps === undefined) throw new Error("give --instances or --steps");
  const seed = o.seed ?? 1;
  const r = prng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const runId = o.runId ?? `bench-run-${seed}`;
  const dir = o.out;
  mkdirSync(dir, { recursive: true });
  const startUs = (o.startMs ?? Date.UTC(2025, 2, 1, 9, 0, 0)) * 1000;
  const instances = new Lines(join(dir, "instances.jsonl"));
  const steps = new Lines(join(dir, "steps.jsonl"));
  const assertions = new Lines(join(dir, "assertions.jsonl"));
  let nInst = 0;
  let nSteps = 0;
  let nAssert = 0;
  let nFailed = 0;
  let nErrored = 0;
  let nAssertFailed = 0;
  let clock = startUs;
  const latencies: number[] = [];

  const pick = (): ScenarioDef => {
    let x = r() * TOTAL_WEIGHT;
    for (const sc of SCENARIOS) {
      x -= sc.weight;
      if (x <= 0) return sc;
    }
    return SCENARIOS[0] as ScenarioDef;
  };

  for (;;) {
    if (o.instances !== undefined && nInst >= o.instances) break;
    if (o.steps !== undefined && nSteps >= o.steps) break;
    const sc = pick();
    const id = `inst-${String(nInst).padStart(8, "0")}`;
    const corr = `${runId}-${nInst.toString(36)}-${Math.floor(r() * 1e9).toString(36)}`;
    const errored = r() < 0.008;
    const failed = !errored && r() < sc.failRate;
    // The failing step (if any) is somewhere after the first.
    const failAt = errored || failed ? 1 + Math.floor(r() * (sc.steps.length - 1)) : -1;
    const begin = clock;
    let t = begin;
    const variation = {
      user_tier: ["free", "pro", "enterprise"][Math.floor(r() * 3)],
      locale: ["en-US", "de-DE", "fr-FR", "ja-JP"][Math.floor(r() * 4)],
      amount: Math.round(r() * 50000) / 100,
      items: 1 + Math.floor(r() * 5),
    };
    let stepsOfInstance = sc.steps.length;
    if (o.steps !== undefined) stepsOfInstance = Math.min(stepsOfInstance, o.steps - nSteps);
    for (let k = 0; k < stepsOfInstance; k++) {
      const def = sc.steps[k] as StepDef;
      const svc = SERVICES[def.service] ?? { mu: 3, sigma: 0.5 };
      // lognormal, plus a rare slow outlier
      let lat = Math.exp(svc.mu + svc.sigma * normal());
      if (r() < 0.002) lat *= 10 + r() * 20;
      if (def.type === "wait") lat = 200 + r() * 800;
      lat = Math.round(lat * 1000) / 1000;
      const bad = k === failAt;
      const ok = !bad;
      const status = def.type === "http" ? (bad ? (errored ? 503 : 500) : 200) : null;
      const observation: Record<string, unknown> = {
        ok,
        protocol: def.type === "grpc" ? "grpc" : def.type === "http" ? "http" : "internal",
        status_code: status,
        latency_ms: lat,
        headers: def.type === "http" ? { "content-type": "application/json", "x-request-id": corr + k } : {},
        body: def.type === "http" ? { ok, step: def.name, n: Math.floor(r() * 1000) } : null,
        errors: bad ? [errored ? `HTTP 503 from ${def.service}` : `unexpected status ${status ?? "n/a"}`] : [],
        action_name: def.name,
        service: def.service,
        attempts: [{ n: 1, latency_ms: lat }],
        trace_id: `${((r() * 2 ** 32) >>> 0).toString(16)}${((r() * 2 ** 32) >>> 0).toString(16)}`,
        bytes_received: 200 + Math.floor(r() * 4000),
        retry_budget: 3,
      };
      await steps.add(
        JSON.stringify({
          instance_id: id,
          run_id: runId,
          correlation_id: corr,
          step_index: k,
          step_name: def.name,
          step_type: def.type,
          timestamp: iso(t),
          observation,
        }),
      );
      nSteps++;
      t += lat * 1000;
      if (latencies.length < 200000) latencies.push(lat);
      if (bad) break;
    }
    const nA = 1 + Math.floor(r() * 3);
    for (let a = 0; a < nA; a++) {
      const passedA = !(failed && a === 0);
      await assertions.add(
        JSON.stringify({
          instance_id: id,
          run_id: runId,
          correlation_id: corr,
          step_index: a,
          assertion_name: ["status_ok", "body_has_id", "latency_budget"][a],
          passed: passedA,
          expected: a === 2 ? { max_ms: 2000 } : 200,
          actual: passedA ? (a === 2 ? { ms: 120 } : 200) : 500,
          message: passedA ? "ok" : "expected 200, got 500",
          timestamp: iso(t),
        }),
      );
      nAssert++;
      if (!passedA) nAssertFailed++;
    }
    const passed = errored ? null : !failed;
    if (passed === false) nFailed++;
    if (passed === null) nErrored++;
    await instances.add(
      JSON.stringify({
        instance_id: id,
        run_id: runId,
        correlation_id: corr,
        scenario_id: sc.id,
        started_at: iso(begin),
        completed_at: iso(t),
        duration_ms: Math.round((t - begin) / 10) / 100,
        passed,
        entry_data: { seed_data: { variation } },
        error: errored ? (ERRORS[Math.floor(r() * ERRORS.length)] as (r: () => number) => string)(r) : null,
      }),
    );
    nInst++;
    // ~50 concurrent users: instances start a few ms apart
    clock += Math.floor(r() * 20000);
  }
  await Promise.all([instances.close(), steps.close(), assertions.close()]);
  const manifest = {
    run_id: runId,
    timestamp: iso(startUs),
    sut_name: o.sut ?? "shop",
    scenario_ids: SCENARIOS.map((x) => x.id),
    seed,
    config: { concurrency: 50, target: "http://shop.internal:8080", timeouts: { http_ms: 5000 }, ramp_up_s: 30 },
    turbulence_version: "1.4.2",
  };
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.max(0, Math.ceil((p / 100) * latencies.length) - 1)] ?? null;
  const summary = {
    run_id: runId,
    completed_at: iso(clock),
    total_instances: nInst,
    pass_count: nInst - nFailed - nErrored,
    fail_count: nFailed,
    error_count: nErrored,
    pass_rate: nInst ? (100 * (nInst - nFailed - nErrored)) / nInst : 0,
    duration_ms: (clock - startUs) / 1000,
    total_steps: nSteps,
    total_assertions: nAssert,
    assertions_passed: nAssert - nAssertFailed,
    assertions_failed: nAssertFailed,
    p50_latency_ms: q(50),
    p95_latency_ms: q(95),
    p99_latency_ms: q(99),
  };
  writeFileSync(join(dir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  return {
    dir,
    runId,
    instances: nInst,
    steps: nSteps,
    assertions: nAssert,
    failed: nFailed + nErrored,
    bytes: instances.bytes + steps.bytes + assertions.bytes,
  };
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const out = argValue(args, "--out");
  const inst = argValue(args, "--instances");
  const st = argValue(args, "--steps");
  if (!out || (!inst && !st)) {
    process.stderr.write(
      "usage: tsx bench/gen-turbulence.ts --out DIR (--instances N | --steps N) [--seed S] [--run-id ID] [--sut NAME]\n",
    );
    process.exit(2);
  }
  const t = performance.now();
  const seedArg = argValue(args, "--seed");
  const runIdArg = argValue(args, "--run-id");
  const sutArg = argValue(args, "--sut");
  const res = await generateRun({
    out,
    ...(inst ? { instances: Number(inst) } : {}),
    ...(st ? { steps: Number(st) } : {}),
    ...(seedArg ? { seed: Number(seedArg) } : {}),
    ...(runIdArg ? { runId: runIdArg } : {}),
    ...(sutArg ? { sut: sutArg } : {}),
  });
  process.stderr.write(
    `wrote ${res.dir}: ${res.instances} instances, ${res.steps} steps, ${res.assertions} assertions, ${(res.bytes / 1e6).toFixed(1)} MB in ${((performance.now() - t) / 1000).toFixed(1)} s\n`,
  );
}

import { type IvrStepReport, ivrStepReport } from "@verdict/schema";
import { type Logger, errorMessage } from "./log.js";
import { RejectedError, type Rpc } from "./rpc.js";

interface Pending {
  lease: string;
  /** By step number: a step reported twice is kept once (the first report wins, as on the server). */
  steps: Map<number, IvrStepReport>;
}

export interface ReporterOptions {
  workerId: string;
  flushMs: number;
  batchSize: number;
  /** Aborts retries of a report call (hard shutdown); the steps then stay unsent. */
  signal: AbortSignal;
  /** The server says the item is no longer ours: its executor must stop. */
  onLeaseLost(itemId: string, reason: string): void;
}

/**
 * Buffers IVR step reports in memory and sends them in batches (one call for every item's steps),
 * after `flushMs` or once `batchSize` steps wait. A call that fails is retried with backoff and
 * the steps stay buffered until the server confirms them; each carries its idempotency key
 * (execution, step number), so a batch sent twice never writes a row twice.
 */
export class StepReporter {
  readonly #pending = new Map<string, Pending>();
  #count = 0;
  #timer: NodeJS.Timeout | null = null;
  #inflight: Promise<void> | null = null;
  sentSteps = 0;
  sentCalls = 0;

  constructor(
    private readonly rpc: Rpc,
    private readonly log: Logger,
    private readonly opts: ReporterOptions,
  ) {}

  /** Buffers one step of a held item. An invalid report is kept as an `error` step saying what was wrong. */
  add(itemId: string, lease: string, raw: IvrStepReport): void {
    const parsed = ivrStepReport.safeParse(raw);
    let step: IvrStepReport = raw;
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const problem = `${issue?.path.join(".") || "step"}: ${issue?.message ?? "invalid"}`;
      this.log("error", "executor reported an invalid step; recording it as an error", {
        item_id: itemId,
        step_number: raw.step_number,
        problem,
      });
      const now = new Date().toISOString();
      step = {
        step_number: Number.isInteger(raw.step_number) && raw.step_number >= 0 ? raw.step_number : 0,
        step_type: ["prompt", "intent", "dtmf", "validate"].includes(raw.step_type) ? raw.step_type : "prompt",
        status: "error",
        started_at: now,
        ended_at: now,
        latency_ms: 0,
        error: `invalid step report (${problem})`,
      };
    }
    let entry = this.#pending.get(itemId);
    if (!entry) {
      entry = { lease, steps: new Map() };
      this.#pending.set(itemId, entry);
    }
    if (entry.steps.has(step.step_number)) return;
    entry.steps.set(step.step_number, step);
    this.#count++;
    if (this.#count >= this.opts.batchSize) this.#schedule(0);
    else this.#schedule(this.opts.flushMs);
  }

  get pendingSteps(): number {
    return this.#count;
  }

  #schedule(delay: number): void {
    if (this.#inflight) return; // the running flush reschedules itself when it ends
    if (this.#timer && delay > 0) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, delay);
  }

  /** Sends what is buffered now (waits for a flush already under way first). */
  async flush(): Promise<void> {
    while (this.#inflight) await this.#inflight;
    if (this.#count === 0) return;
    this.#inflight = this.#send().finally(() => {
      this.#inflight = null;
      if (this.#count > 0 && !this.opts.signal.aborted) this.#schedule(this.opts.flushMs);
    });
    await this.#inflight;
  }

  async #send(): Promise<void> {
    const reports: { item_id: string; lease: string; steps: IvrStepReport[] }[] = [];
    let budget = this.opts.batchSize;
    for (const [itemId, entry] of this.#pending) {
      if (budget <= 0) break;
      const steps = [...entry.steps.values()].slice(0, budget);
      if (steps.length === 0) continue;
      budget -= steps.length;
      reports.push({ item_id: itemId, lease: entry.lease, steps });
    }
    if (reports.length === 0) return;
    try {
      const results = await this.rpc.call(
        "queue.report",
        (api) => api.queue.report.mutate({ worker_id: this.opts.workerId, reports }),
        { signal: this.opts.signal },
      );
      this.sentCalls++;
      for (const [i, rep] of reports.entries()) {
        const result = results.find((r) => r.item_id === rep.item_id) ?? results[i];
        const entry = this.#pending.get(rep.item_id);
        if (!entry) continue;
        if (result && !result.held) {
          this.#drop(rep.item_id);
          this.opts.onLeaseLost(rep.item_id, result.reason ?? "lease lost");
          continue;
        }
        for (const s of rep.steps) {
          if (entry.steps.delete(s.step_number)) this.#count--;
        }
        this.sentSteps += rep.steps.length;
      }
    } catch (e) {
      if (e instanceof RejectedError) {
        // A refusal is not going to change on retry; keeping the batch would block every later one.
        this.log("error", "server refused a step report batch; dropping it", { code: e.code, error: e.message });
        for (const rep of reports) {
          const entry = this.#pending.get(rep.item_id);
          for (const s of rep.steps) if (entry?.steps.delete(s.step_number)) this.#count--;
        }
        return;
      }
      if (!this.opts.signal.aborted) this.log("warn", "step report not sent", { error: errorMessage(e) });
    }
  }

  #drop(itemId: string): void {
    const entry = this.#pending.get(itemId);
    if (!entry) return;
    this.#count -= entry.steps.size;
    this.#pending.delete(itemId);
  }

  /** The item's unsent steps, removed from the buffer (they travel with its completion instead). */
  async take(itemId: string): Promise<IvrStepReport[]> {
    while (this.#inflight) await this.#inflight;
    const steps = [...(this.#pending.get(itemId)?.steps.values() ?? [])];
    this.#drop(itemId);
    return steps;
  }

  /** Forget an item's unsent steps (handed back or lost: the next attempt starts clean). */
  forget(itemId: string): void {
    this.#drop(itemId);
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

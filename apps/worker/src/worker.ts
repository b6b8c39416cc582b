import { setTimeout as sleep } from "node:timers/promises";
import {
  type ClaimedHttpItem,
  type ClaimedItem,
  type ClaimedIvrItem,
  type CompletionItem,
  MAX_CLAIM_ITEMS,
  type TrainingSample,
} from "@verdict/schema";
import { Completer } from "./completer.js";
import type { WorkerConfig } from "./config.js";
import type { HttpExecutor } from "./executors/http.js";
import { type IvrChannel, type IvrExecutor, channelFactoryForTarget, tokenForTarget } from "@verdict/ivr-runner";
import { type Logger, errorMessage } from "./log.js";
import { StepReporter } from "./reporter.js";
import { AuthError, RejectedError, type Rpc, backoffMs } from "./rpc.js";

/**
 * The worker loop: claim items while there are free slots, run each with its executor, report,
 * complete. Heartbeats extend the leases of running items; an item whose lease the server says is
 * gone is abandoned (another worker has it). On stop(): no new claims, running items get
 * `drainMs` to finish, the rest are aborted and handed back, and run() resolves.
 */

/** Why an item's work was stopped before it finished. */
type StopReason = "deadline" | "lease" | "shutdown";

class Stop extends Error {
  constructor(
    readonly why: StopReason,
    message: string,
  ) {
    super(message);
  }
}

interface Running {
  item: ClaimedItem;
  abort: AbortController;
  done: Promise<void>;
  /** "finishing" once the work is done and its completion (or failure) is being sent: not handed back. */
  phase: "working" | "finishing";
}

export interface WorkerStats {
  claimed: number;
  completed: number;
  failed: number;
  timed_out: number;
  lost: number;
  handed_back: number;
}

export interface WorkerDeps {
  rpc: Rpc;
  log: Logger;
  http: HttpExecutor;
  ivr: IvrExecutor;
  /** A stored IVR target's auth token by target name (default: env VERDICT_IVR_TOKEN_<NAME>); never from the server. */
  targetToken?: (name: string) => string | undefined;
}

export class Worker {
  readonly stats: WorkerStats = { claimed: 0, completed: 0, failed: 0, timed_out: 0, lost: 0, handed_back: 0 };
  readonly #running = new Map<string, Running>();
  /** Aborted by stop(): no more claims. */
  readonly #stopping = new AbortController();
  /** Aborted when the drain time is over: calls stop retrying. */
  readonly #hardStop = new AbortController();
  readonly #reporter: StepReporter;
  readonly #completer: Completer;
  #wake: (() => void) | null = null;
  #samples: Promise<TrainingSample[]> | null = null;
  #samplesAt = 0;
  #fatal: Error | null = null;

  constructor(
    private readonly cfg: WorkerConfig,
    private readonly deps: WorkerDeps,
  ) {
    this.#reporter = new StepReporter(deps.rpc, deps.log, {
      workerId: cfg.id,
      flushMs: cfg.flushMs,
      batchSize: cfg.batchSize,
      signal: this.#hardStop.signal,
      onLeaseLost: (itemId, reason) => this.#lose(itemId, reason),
    });
    this.#completer = new Completer(deps.rpc, { workerId: cfg.id, signal: this.#hardStop.signal });
  }

  get stopping(): boolean {
    return this.#stopping.signal.aborted;
  }

  /** Ask the loop to wind down (SIGTERM). */
  stop(reason = "shutdown requested"): void {
    if (this.stopping) return;
    this.deps.log("info", "stopping: no new claims", { reason, running: this.#running.size });
    this.#stopping.abort(new Stop("shutdown", reason));
    this.#wake?.();
  }

  /** Runs until stop() (resolves) or the token is refused (rejects with AuthError). */
  async run(): Promise<void> {
    const { cfg } = this;
    const { log } = this.deps;
    log("info", "worker started", {
      server: cfg.server,
      concurrency: cfg.concurrency,
      kinds: cfg.kinds,
      lease_ms: cfg.leaseMs,
    });
    const heartbeat = setInterval(() => void this.#heartbeat(), Math.max(200, Math.floor(cfg.leaseMs / 3)));
    try {
      await this.#claimLoop();
    } finally {
      clearInterval(heartbeat);
    }
    await this.#drain();
    this.#reporter.stop();
    log("info", "worker stopped", { ...this.stats });
    if (this.#fatal) throw this.#fatal;
  }

  async #claimLoop(): Promise<void> {
    const { cfg } = this;
    const { rpc, log } = this.deps;
    let idle = 0;
    // Claims go out for several slots at once: with many items in flight, slots free up one by one
    // and a claim per slot would double the calls per item. A claim waits until a quarter of the
    // slots are free, or --poll-ms after the first one freed up (long items keep slots a long time).
    const batch = Math.max(1, Math.ceil(cfg.concurrency / 4));
    let freeSince = 0;
    while (!this.stopping) {
      const free = cfg.concurrency - this.#running.size;
      if (free <= 0) {
        freeSince = 0;
        await this.#sleepUntilWoken(cfg.pollMs * 10);
        continue;
      }
      if (free < batch && this.#running.size > 0) {
        freeSince ||= Date.now();
        const wait = freeSince + cfg.pollMs - Date.now();
        if (wait > 0) {
          await this.#sleepUntilWoken(wait);
          continue;
        }
      }
      freeSince = 0;
      let items: ClaimedItem[];
      // Nothing running: a long poll (the server answers as soon as work appears); else a quick claim.
      const waitMs = this.#running.size === 0 ? this.#claimWaitMs() : 0;
      const asked = Date.now();
      try {
        items = await rpc.call(
          "queue.claim",
          (api) =>
            api.queue.claim.mutate({
              worker_id: cfg.id,
              kinds: cfg.kinds,
              max_items: Math.min(free, MAX_CLAIM_ITEMS),
              lease_ms: cfg.leaseMs,
              wait_ms: waitMs,
            }),
          { signal: this.#stopping.signal },
        );
      } catch (e) {
        if (this.stopping) break;
        if (e instanceof AuthError) {
          this.#fatal = e;
          log("error", "the server refused this worker's token; stopping", { error: e.message });
          this.stop("token refused");
          break;
        }
        log("error", "claim failed", { error: errorMessage(e) });
        await this.#sleepUntilWoken(backoffMs(5, cfg.maxBackoffMs));
        continue;
      }
      if (items.length === 0 && waitMs > 0 && Date.now() - asked >= waitMs / 2) {
        idle = 0; // the server held the call: ask again at once
        continue;
      }
      if (items.length === 0) {
        // Empty queue: poll again soon, a little later each time (jittered, capped at 4× --poll-ms).
        idle = Math.min(idle + 1, 3);
        await this.#sleepUntilWoken(Math.round(cfg.pollMs * (0.75 + Math.random() * 0.5) * (1 + idle)));
        continue;
      }
      idle = 0;
      for (const item of items) this.#start(item);
    }
  }

  /** How long an idle claim may be held by the server: well inside the request timeout. */
  #claimWaitMs(): number {
    return Math.min(20_000, Math.floor(this.cfg.requestTimeoutMs / 2));
  }

  async #sleepUntilWoken(ms: number): Promise<void> {
    if (this.stopping) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = null;
  }

  #start(item: ClaimedItem): void {
    this.stats.claimed++;
    const abort = new AbortController();
    const deadline = setTimeout(
      () => abort.abort(new Stop("deadline", `timed out: timeout_seconds reached (deadline ${item.deadline_at})`)),
      item.deadline_in_ms,
    );
    // Per-item lines at debug: at hundreds of items a second, a JSON line each was a third of a worker's CPU.
    this.deps.log("debug", "claimed", {
      item_id: item.item_id,
      kind: item.kind,
      attempt: item.attempt,
      ...(item.kind === "ivr"
        ? { execution_id: item.execution_id, scenario_id: item.scenario.scenario_id }
        : { run_id: item.run_id, instance_id: item.instance_id }),
    });
    const done = (item.kind === "ivr" ? this.#runIvr(item, abort.signal) : this.#runHttp(item, abort.signal))
      .catch((e: unknown) => {
        this.deps.log("error", "work item crashed the worker's bookkeeping", {
          item_id: item.item_id,
          error: errorMessage(e),
        });
      })
      .finally(() => {
        clearTimeout(deadline);
        this.#running.delete(item.item_id);
        this.#wake?.();
      });
    this.#running.set(item.item_id, { item, abort, done, phase: "working" });
  }

  #stopReason(signal: AbortSignal): Stop | null {
    if (!signal.aborted) return null;
    return signal.reason instanceof Stop ? signal.reason : new Stop("shutdown", String(signal.reason));
  }

  #trainingSamples(): Promise<TrainingSample[]> {
    // Fetched once a minute at most: samples validated meanwhile reach this worker without a restart.
    if (this.#samples !== null && Date.now() - this.#samplesAt > 60_000) this.#samples = null;
    if (this.#samples === null) this.#samplesAt = Date.now();
    this.#samples ??= this.deps.rpc
      .call("ivr.training.export", (api) => api.ivr.training.export.query({ validation_status: "validated" }), {
        signal: this.#hardStop.signal,
      })
      .catch((e: unknown) => {
        this.#samples = null; // fetch again next time
        throw e;
      });
    return this.#samples;
  }

  /**
   * The channel of a scenario that names a stored target: its channel, URL and options from the
   * server, its auth token from this worker's environment by the target's name. A scenario without
   * a target uses the worker's own --ivr-webhook / --ivr-channel (undefined here). A target that
   * cannot be had fails the execution with the reason, before any call is placed.
   */
  async #targetChannel(item: ClaimedIvrItem, signal: AbortSignal): Promise<(() => IvrChannel) | undefined> {
    const name = item.scenario.target;
    if (!name) return undefined;
    try {
      const target = await this.deps.rpc.call("ivr.targets.get", (api) => api.ivr.targets.get.query({ name }), {
        signal,
      });
      return channelFactoryForTarget(target, (this.deps.targetToken ?? tokenForTarget)(name));
    } catch (e) {
      const message = `IVR target '${name}': ${errorMessage(e)}`;
      return () => {
        throw new Error(message);
      };
    }
  }

  async #runIvr(item: ClaimedIvrItem, signal: AbortSignal): Promise<void> {
    let result: Awaited<ReturnType<IvrExecutor["run"]>> | null = null;
    let crash: unknown = null;
    try {
      const channel = await this.#targetChannel(item, signal);
      result = await this.deps.ivr.run({
        executionId: String(item.execution_id),
        scenario: item.scenario,
        signal,
        ...(channel !== undefined ? { channel } : {}),
        report: (step) => {
          if (!signal.aborted || this.#stopReason(signal)?.why === "deadline")
            this.#reporter.add(item.item_id, item.lease, step);
        },
        trainingSamples: () => this.#trainingSamples(),
      });
    } catch (e) {
      crash = e;
    }
    const stop = this.#stopReason(signal);
    if (stop?.why === "lease" || stop?.why === "shutdown") {
      this.#reporter.forget(item.item_id);
      return; // lost: someone else has it; shutdown: handed back by #drain
    }
    const steps = await this.#reporter.take(item.item_id);
    if (stop?.why === "deadline") {
      await this.#finish(item, "timeout", {
        kind: "ivr",
        item_id: item.item_id,
        lease: item.lease,
        outcome: "timeout",
        final_result: "fail",
        call_id: result?.call_id ?? null,
        error: stop.message,
        steps,
      });
      return;
    }
    if (crash !== null || result === null) {
      await this.#failItem(item, `IVR executor failed: ${errorMessage(crash)}`);
      return;
    }
    const r = result;
    await this.#finish(item, "done", {
      kind: "ivr",
      item_id: item.item_id,
      lease: item.lease,
      final_result: r.final_result,
      call_id: r.call_id,
      error: r.error ?? null,
      steps,
    });
  }

  async #runHttp(item: ClaimedHttpItem, signal: AbortSignal): Promise<void> {
    let result: Awaited<ReturnType<HttpExecutor["run"]>>;
    try {
      result = await this.deps.http.run(item, signal);
    } catch (e) {
      if (this.#stopReason(signal)?.why === "lease" || this.#stopReason(signal)?.why === "shutdown") return;
      await this.#failItem(item, `HTTP executor failed: ${errorMessage(e)}`);
      return;
    }
    const stop = this.#stopReason(signal);
    if (stop?.why === "lease" || stop?.why === "shutdown") return;
    const timedOut = stop?.why === "deadline";
    const instance = timedOut
      ? { ...result.instance, status: "fail" as const, error: `${stop.message}; ${result.instance.error ?? ""}`.trim() }
      : result.instance;
    await this.#finish(item, timedOut ? "timeout" : "done", {
      kind: "http",
      item_id: item.item_id,
      lease: item.lease,
      outcome: timedOut ? "timeout" : "done",
      instance,
      steps: result.steps,
      assertions: result.assertions,
    });
  }

  /**
   * Sends a completion (batched with the others under way, see Completer), retrying while the server
   * is unreachable; a refusal means the item is no longer ours.
   */
  async #finish(item: ClaimedItem, outcome: "done" | "timeout", completion: CompletionItem): Promise<void> {
    this.#finishing(item);
    try {
      await this.#completer.complete(completion);
      if (outcome === "timeout") this.stats.timed_out++;
      else this.stats.completed++;
      this.deps.log("debug", outcome === "timeout" ? "timed out" : "completed", {
        item_id: item.item_id,
        kind: item.kind,
      });
    } catch (e) {
      this.#finishFailed(item, e);
    }
  }

  async #failItem(item: ClaimedItem, error: string): Promise<void> {
    this.#finishing(item);
    this.#reporter.forget(item.item_id);
    try {
      const r = await this.deps.rpc.call(
        "queue.fail",
        (api) => api.queue.fail.mutate({ worker_id: this.cfg.id, item_id: item.item_id, lease: item.lease, error }),
        { signal: this.#hardStop.signal },
      );
      this.stats.failed++;
      this.deps.log("warn", "attempt failed", { item_id: item.item_id, error, now: r.status });
    } catch (e) {
      this.#finishFailed(item, e);
    }
  }

  #finishFailed(item: ClaimedItem, e: unknown): void {
    if (e instanceof RejectedError) {
      this.stats.lost++;
      this.deps.log("warn", "the server no longer lets this worker finish the item", {
        item_id: item.item_id,
        code: e.code,
        error: e.message,
      });
    } else if (e instanceof AuthError) {
      this.#fatal ??= e;
      this.stop("token refused");
    } else {
      this.deps.log("error", "could not report the end of an item before shutdown (its lease will expire)", {
        item_id: item.item_id,
        error: errorMessage(e),
      });
    }
  }

  #finishing(item: ClaimedItem): void {
    const r = this.#running.get(item.item_id);
    if (r) r.phase = "finishing";
  }

  #lose(itemId: string, reason: string): void {
    const r = this.#running.get(itemId);
    if (!r || r.abort.signal.aborted) return;
    this.stats.lost++;
    this.deps.log("warn", "lease lost; abandoning the item", { item_id: itemId, reason });
    r.abort.abort(new Stop("lease", reason));
  }

  async #heartbeat(): Promise<void> {
    const items = [...this.#running.values()]
      .filter((r) => !r.abort.signal.aborted)
      .map((r) => ({ item_id: r.item.item_id, lease: r.item.lease }));
    if (items.length === 0) return;
    try {
      // One try: the next beat is a third of a lease away.
      const states = await this.deps.rpc.call(
        "queue.heartbeat",
        (api) => api.queue.heartbeat.mutate({ worker_id: this.cfg.id, items, lease_ms: this.cfg.leaseMs }),
        { maxAttempts: 1, signal: this.#hardStop.signal },
      );
      for (const s of states) if (!s.held) this.#lose(s.item_id, s.reason ?? "lease not held");
    } catch (e) {
      if (e instanceof RejectedError) this.deps.log("warn", "heartbeat refused", { error: e.message });
      else this.deps.log("debug", "heartbeat failed", { error: errorMessage(e) });
    }
  }

  /** Shutdown: give running items drainMs, then abort the rest and hand them back. */
  async #drain(): Promise<void> {
    const { cfg } = this;
    const { log, rpc } = this.deps;
    const heartbeat = setInterval(() => void this.#heartbeat(), Math.max(200, Math.floor(cfg.leaseMs / 3)));
    try {
      if (this.#running.size > 0) {
        log("info", "draining", { running: this.#running.size, drain_ms: cfg.drainMs });
        await Promise.race([Promise.all([...this.#running.values()].map((r) => r.done)), sleep(cfg.drainMs)]);
      }
      // Items whose work is done are still sending their completion: those are not handed back.
      const left = [...this.#running.values()].filter((r) => r.phase === "working");
      if (left.length > 0) {
        for (const r of left) r.abort.abort(new Stop("shutdown", "the worker is shutting down"));
        // Executors stop at the abort; do not wait on one that ignores it for long.
        await Promise.race([Promise.all(left.map((r) => r.done)), sleep(5_000)]);
        try {
          const res = await rpc.call(
            "queue.handBack",
            (api) =>
              api.queue.handBack.mutate({
                worker_id: cfg.id,
                items: left.map((r) => ({ item_id: r.item.item_id, lease: r.item.lease })),
                reason: "worker shutting down",
              }),
            { maxAttempts: 6 },
          );
          this.stats.handed_back += res.handed_back.length;
          log("info", "handed back unfinished work", { items: res.handed_back });
        } catch (e) {
          log("warn", "could not hand back; the items return to the queue when their leases expire", {
            items: left.map((r) => r.item.item_id),
            error: errorMessage(e),
          });
        }
      }
      // Whatever completions are still retrying get a last, bounded chance.
      const pending = [...this.#running.values()].map((r) => r.done);
      if (pending.length > 0) await Promise.race([Promise.all(pending), sleep(5_000)]);
    } finally {
      clearInterval(heartbeat);
      this.#hardStop.abort(new Stop("shutdown", "worker stopped"));
    }
  }
}

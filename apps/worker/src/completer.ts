import { type CompletionItem, type FinishResult, MAX_COMPLETIONS_PER_CALL } from "@verdict/schema";
import { RejectedError, type Rpc } from "./rpc.js";

/**
 * Sends the worker's completions in batches: one `queue.completeMany` call (one server transaction)
 * carries every completion that came in while the previous call was under way, so at hundreds of
 * items a second the calls per item fall with the load instead of one call each. A call that fails
 * on the way is retried whole (each item answers `already` for what had landed); each item gets
 * its own answer, a refused item a RejectedError with the server's code. When the server refuses a
 * whole call (one it does not know, or an item it cannot read), the items go one by one through
 * `queue.complete`, so one bad item never holds back the others.
 */

interface Waiting {
  item: CompletionItem;
  resolve(r: FinishResult): void;
  reject(e: unknown): void;
}

export interface CompleterOptions {
  workerId: string;
  /** Aborts retries (hard shutdown). */
  signal: AbortSignal;
  /** Most completions per call (default MAX_COMPLETIONS_PER_CALL). */
  maxItems?: number;
}

export class Completer {
  readonly #queue: Waiting[] = [];
  #sending = false;
  #scheduled = false;
  /** False once the server said it has no completeMany: every completion goes alone. */
  #batches = true;
  calls = 0;

  constructor(
    private readonly rpc: Rpc,
    private readonly opts: CompleterOptions,
  ) {}

  /** Resolves once the server has the item finished (or had it already); rejects with its refusal. */
  complete(item: CompletionItem): Promise<FinishResult> {
    return new Promise<FinishResult>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#sending || this.#scheduled) return; // the running call's loop, or the next tick, takes it
      this.#scheduled = true;
      // After the current I/O callbacks: completions that end together leave in one call.
      setImmediate(() => {
        this.#scheduled = false;
        void this.#pump();
      });
    });
  }

  async #pump(): Promise<void> {
    if (this.#sending) return;
    this.#sending = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.opts.maxItems ?? MAX_COMPLETIONS_PER_CALL);
        await (this.#batches ? this.#sendBatch(batch) : Promise.all(batch.map((w) => this.#sendOne(w))));
      }
    } finally {
      this.#sending = false;
    }
  }

  async #sendBatch(batch: Waiting[]): Promise<void> {
    let results: Awaited<ReturnType<Rpc["api"]["queue"]["completeMany"]["mutate"]>>;
    try {
      this.calls++;
      results = await this.rpc.call(
        "queue.completeMany",
        (api) => api.queue.completeMany.mutate({ worker_id: this.opts.workerId, items: batch.map((w) => w.item) }),
        { signal: this.opts.signal },
      );
    } catch (e) {
      if (e instanceof RejectedError) {
        if (e.code === "NOT_FOUND") this.#batches = false; // a server without completeMany
        await Promise.all(batch.map((w) => this.#sendOne(w)));
        return;
      }
      for (const w of batch) w.reject(e);
      return;
    }
    for (const [i, w] of batch.entries()) {
      const r = results[i];
      if (r === undefined || r.item_id !== w.item.item_id) {
        w.reject(new RejectedError("INTERNAL_SERVER_ERROR", "completeMany answered out of order"));
      } else if (r.ok) {
        w.resolve({ item_id: r.item_id, status: r.status, already: r.already });
      } else {
        w.reject(new RejectedError(r.code, r.error));
      }
    }
  }

  async #sendOne(w: Waiting): Promise<void> {
    try {
      this.calls++;
      const r = await this.rpc.call(
        "queue.complete",
        (api) => api.queue.complete.mutate({ ...w.item, worker_id: this.opts.workerId }),
        { signal: this.opts.signal },
      );
      w.resolve(r);
    } catch (e) {
      w.reject(e);
    }
  }
}

/**
 * Timeouts that fire. On Node 20, a signal made by `AbortSignal.timeout()` and only reachable through
 * `AbortSignal.any()`, or a signal undici's `fetch` follows, can be garbage-collected before it
 * aborts (nodejs/undici#4068, nodejs/node#55428): under GC pressure a request with a 200 ms timeout
 * then waits forever. These helpers hold their timer and controller strongly until `clear()`, and
 * `abortable()` settles on the signal itself instead of trusting the callee to notice it.
 */

/** The reason a deadline aborts with: the same name `AbortSignal.timeout()` uses, so callers test `name === "TimeoutError"`. */
export function timeoutReason(ms: number): DOMException {
  return new DOMException(`The operation was aborted due to timeout (${ms} ms)`, "TimeoutError");
}

export interface Deadline {
  signal: AbortSignal;
  /** Stops the timer and detaches from the parents; call it when the guarded work is over. */
  clear(): void;
}

/** A signal that aborts when any parent aborts (with its reason) or after `ms` (omitted: never by time). */
export function deadline(ms: number | undefined, ...parents: readonly (AbortSignal | undefined)[]): Deadline {
  const controller = new AbortController();
  const detach: (() => void)[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const clear = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    for (const d of detach.splice(0)) d();
  };
  for (const parent of parents) {
    if (parent === undefined) continue;
    if (parent.aborted) {
      controller.abort(parent.reason);
      return { signal: controller.signal, clear };
    }
    const onAbort = () => {
      clear();
      controller.abort(parent.reason);
    };
    parent.addEventListener("abort", onAbort, { once: true });
    detach.push(() => parent.removeEventListener("abort", onAbort));
  }
  if (ms !== undefined) {
    timer = setTimeout(() => {
      clear();
      controller.abort(timeoutReason(ms));
    }, ms);
  }
  return { signal: controller.signal, clear };
}

/** `work` raced against `signal`: rejects with the signal's reason as soon as it aborts, whatever `work` does. */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(signal.reason);
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  });
}

/** `fetch` and the body's text under a deadline of `ms` and the given signals; the timer is cleared after. */
export async function fetchText(
  url: string | URL | Request,
  init: RequestInit,
  ms: number | undefined,
  ...parents: readonly (AbortSignal | undefined)[]
): Promise<{ res: Response; text: string }> {
  const d = deadline(ms, ...parents);
  try {
    return await abortable(
      (async () => {
        const res = await fetch(url, { ...init, signal: d.signal });
        return { res, text: await res.text() };
      })(),
      d.signal,
    );
  } finally {
    d.clear();
  }
}

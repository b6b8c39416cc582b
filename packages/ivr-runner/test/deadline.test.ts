/**
 * Deadlines that fire even when the garbage collector runs while a request waits (Node 20 can
 * collect a timeout signal that only `AbortSignal.any()` or undici's fetch refers to).
 */
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { abortable, deadline, fetchText } from "../src/deadline.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

let server: Server;
let url: string;
beforeAll(async () => {
  // Sends its headers, then never ends the body; /never sends nothing at all.
  server = createServer((req, res) => {
    if (req.url === "/headers") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("partial");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as Error,
  );

describe("deadline", () => {
  it("aborts after its time with a TimeoutError, and not at all once cleared", async () => {
    const d = deadline(30);
    const fired = new Promise((r) => d.signal.addEventListener("abort", r));
    await fired;
    expect((d.signal.reason as Error).name).toBe("TimeoutError");

    const cleared = deadline(20);
    cleared.clear();
    await new Promise((r) => setTimeout(r, 60));
    expect(cleared.signal.aborted).toBe(false);
  });

  it("follows its parents' aborts with their reason, including one aborted already", () => {
    const parent = new AbortController();
    const d = deadline(10_000, undefined, parent.signal);
    parent.abort(new Error("lease lost"));
    expect((d.signal.reason as Error).message).toBe("lease lost");
    d.clear();
    const early = deadline(10_000, AbortSignal.abort(new Error("gone")));
    expect((early.signal.reason as Error).message).toBe("gone");
  });

  it("abortable settles on the signal even when the work never does", async () => {
    const d = deadline(30);
    const e = await rejection(abortable(new Promise(() => {}), d.signal));
    expect(e?.name).toBe("TimeoutError");
    await expect(abortable(Promise.resolve(7), new AbortController().signal)).resolves.toBe(7);
  });

  it("fetchText times out a server that never answers, and one that never ends its body, with the collector running", async () => {
    const collect = setInterval(gc, 5);
    try {
      for (const path of ["/never", "/headers"]) {
        const started = performance.now();
        const e = await rejection(fetchText(`${url}${path}`, {}, 150));
        expect(e?.name, path).toBe("TimeoutError");
        expect(performance.now() - started).toBeLessThan(5_000);
      }
    } finally {
      clearInterval(collect);
    }
  });

  it("fetchText returns the status and the body", async () => {
    const ok = createServer((_req, res) => res.end("fine"));
    await new Promise<void>((r) => ok.listen(0, "127.0.0.1", r));
    try {
      const { res, text } = await fetchText(`http://127.0.0.1:${(ok.address() as AddressInfo).port}/`, {}, 2_000);
      expect([res.status, text]).toEqual([200, "fine"]);
    } finally {
      ok.close();
    }
  });
});

import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { type CallState, step } from "./bank.js";
import { twimlInput, twimlTurn } from "./twiml.js";

/**
 * The webhook protocol Verdict's HTTP IVR channel speaks: the caller side POSTs
 * `{ call_id, input }` and the IVR answers with the prompt it plays next, `{ prompt }`.
 */
export const webhookRequest = z.object({
  call_id: z.string().min(1).max(200),
  input: z.discriminatedUnion("type", [
    z.object({ type: z.literal("start") }),
    z.object({ type: z.literal("dtmf"), digits: z.string().regex(/^[0-9*#A-D]+$/, "must match [0-9*#A-D]+") }),
    z.object({ type: z.literal("speech"), text: z.string().min(1).max(5000) }),
    z.object({ type: z.literal("hangup") }),
  ]),
});
export type WebhookRequest = z.infer<typeof webhookRequest>;

export interface DemoIvrOptions {
  host: string;
  port: number;
  /** webhook: Verdict's JSON protocol at /webhook; twiml: Twilio's voice webhooks at /twiml (see ./twiml.ts). */
  dialect?: "webhook" | "twiml";
  /** DTMF input after which the IVR never answers (to test timeouts); null for none. */
  hangDtmf: string | null;
  /** Speech containing this phrase is never answered; null for none. */
  hangPhrase: string | null;
  /** Wait this long before each answer (simulated processing time). */
  delayMs: number;
  /** Calls idle this long are forgotten. */
  idleCallMs: number;
  log: (entry: Record<string, unknown>) => void;
}

export interface RunningDemoIvr {
  url: string;
  /** Calls in progress. */
  readonly calls: number;
  close(): Promise<void>;
}

const BODY_LIMIT = 64 * 1024;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > BODY_LIMIT) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startDemoIvr(options: DemoIvrOptions): Promise<RunningDemoIvr> {
  const calls = new Map<string, { state: CallState; seen: number; prompt: string }>();
  const dialect = options.dialect ?? "webhook";

  const sendXml = (res: ServerResponse, xml: string) => {
    res.writeHead(200, { "content-type": "text/xml", "content-length": Buffer.byteLength(xml) });
    res.end(xml);
  };

  const handleTwiml = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    if (req.method !== "POST" && req.method !== "GET") return send(res, 405, { error: "use POST (or GET)" });
    const raw = req.method === "POST" ? await readBody(req) : "";
    if (raw === null) return send(res, 413, { error: `request body larger than ${BODY_LIMIT} bytes` });
    const params = req.method === "POST" ? new URLSearchParams(raw) : new URL(req.url ?? "/", "http://x").searchParams;
    const callSid = params.get("CallSid");
    if (!callSid) return send(res, 400, { error: "CallSid: required (a Twilio voice webhook request)" });
    const input = twimlInput(path, params);
    if (input === null) return send(res, 404, { error: `no such endpoint: ${path}` });
    const hangs =
      input !== "reprompt" &&
      ((input.type === "dtmf" && options.hangDtmf !== null && input.digits === options.hangDtmf) ||
        (input.type === "speech" &&
          options.hangPhrase !== null &&
          input.text.toLowerCase().includes(options.hangPhrase.toLowerCase())));
    if (hangs) {
      options.log({ msg: "hanging", call_id: callSid, input: input.type });
      return;
    }
    const turn = twimlTurn(calls.get(callSid), input, callSid);
    if (turn.kind === "error") return send(res, turn.status, { error: turn.message });
    if (turn.state.menu === "ended") calls.delete(callSid);
    else calls.set(callSid, { state: turn.state, seen: Date.now(), prompt: turn.prompt });
    if (options.delayMs > 0) await new Promise((r) => setTimeout(r, options.delayMs));
    options.log({
      msg: "turn",
      call_id: callSid,
      input: input === "reprompt" ? "no input" : describe(input),
      menu: turn.state.menu,
    });
    sendXml(res, turn.xml);
  };
  const describe = (input: WebhookRequest["input"]) =>
    input.type === "dtmf" ? `dtmf ${input.digits}` : input.type === "speech" ? `speech "${input.text}"` : input.type;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/health") return send(res, 200, { ok: true, calls: calls.size });
    if (dialect === "twiml") {
      if (path?.startsWith("/twiml")) return handleTwiml(req, res, path);
      return send(res, 404, { error: `no such endpoint: ${path} (this IVR speaks TwiML at /twiml)` });
    }
    if (path !== "/" && path !== "/webhook") return send(res, 404, { error: `no such endpoint: ${path}` });
    if (req.method !== "POST") return send(res, 405, { error: "use POST with a JSON body {call_id, input}" });
    const raw = await readBody(req);
    if (raw === null) return send(res, 413, { error: `request body larger than ${BODY_LIMIT} bytes` });
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return send(res, 400, { error: "request body is not valid JSON" });
    }
    const parsed = webhookRequest.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return send(res, 400, { error: `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}` });
    }
    const { call_id, input } = parsed.data;
    const current = calls.get(call_id);
    if (input.type === "start" && current) return send(res, 409, { error: `call ${call_id} is already in progress` });
    if (input.type !== "start" && !current) {
      return send(res, 404, { error: `unknown call_id ${call_id}: start the call with {"type":"start"} first` });
    }
    const hangs =
      (input.type === "dtmf" && options.hangDtmf !== null && input.digits === options.hangDtmf) ||
      (input.type === "speech" &&
        options.hangPhrase !== null &&
        input.text.toLowerCase().includes(options.hangPhrase.toLowerCase()));
    if (hangs) {
      options.log({ msg: "hanging", call_id, input: describe(input) });
      return; // never answered: the connection stays open until the caller gives up or we shut down
    }
    const turn = step(current?.state, input);
    if (input.type === "hangup") calls.delete(call_id);
    else calls.set(call_id, { state: turn.state, seen: Date.now(), prompt: turn.prompt });
    if (options.delayMs > 0) await new Promise((r) => setTimeout(r, options.delayMs));
    options.log({ msg: "turn", call_id, input: describe(input), understood: turn.understood, menu: turn.state.menu });
    send(res, 200, { prompt: turn.prompt });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      options.log({ msg: "error", error: e instanceof Error ? e.message : String(e) });
      if (!res.headersSent) send(res, 500, { error: "internal error" });
    });
  });
  const sweep = setInterval(
    () => {
      const cutoff = Date.now() - options.idleCallMs;
      for (const [id, call] of calls) if (call.seen < cutoff) calls.delete(id);
    },
    Math.min(options.idleCallMs, 60_000),
  );
  sweep.unref();

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/${dialect === "twiml" ? "twiml/voice" : "webhook"}`,
    get calls() {
      return calls.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(sweep);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

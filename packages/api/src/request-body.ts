import type { IncomingMessage } from "node:http";
import { MAX_JSON_DEPTH } from "@verdict/schema";
import { RequestRefused } from "./errors.js";

/**
 * Checks a tRPC request's input before tRPC sees it, so a client mistake is answered 4xx naming what
 * is wrong instead of surfacing as an internal error: the body must be JSON (415), fit the limit
 * (413), nest no deeper than the limit (400, scanned without recursion) and parse (400). The body
 * read here is handed to tRPC as `req.body`.
 */

/** Envelope levels around a value (batch object, `{"json": …}`, superjson meta) on top of MAX_JSON_DEPTH. */
const ENVELOPE_DEPTH = 4;

/** Deepest bracket nesting of JSON text, outside strings; stops counting past `limit`. */
export function textDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return max;
}

/** Why `text` (a request's JSON input) is refused, or null. */
export function checkJsonText(text: string, field: string): RequestRefused | null {
  const limit = MAX_JSON_DEPTH + ENVELOPE_DEPTH;
  if (textDepth(text, limit) > limit)
    return new RequestRefused(400, field, `${field}: JSON nested deeper than ${MAX_JSON_DEPTH} levels (the limit)`);
  try {
    JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return new RequestRefused(400, field, `${field}: malformed JSON (${why})`);
  }
  return null;
}

function isJsonContentType(header: string | undefined): boolean {
  const type = header?.split(";", 1)[0]?.trim().toLowerCase();
  return type === "application/json";
}

/**
 * Reads and checks the request's input (GET: the `input` query parameter; others: the body).
 * Resolves with a refusal, or null when tRPC may go ahead (the body then sits in `req.body`).
 */
export async function readInput(req: IncomingMessage, limitBytes: number): Promise<RequestRefused | null> {
  if (req.method === "GET" || req.method === "HEAD") {
    const input = new URL(req.url ?? "/", "http://x").searchParams.get("input");
    return input === null ? null : checkJsonText(input, "input");
  }
  if (!isJsonContentType(req.headers["content-type"])) {
    req.resume();
    const got = req.headers["content-type"];
    return new RequestRefused(
      415,
      "content-type",
      `content-type: expected application/json, got ${got ? `'${got}'` : "none"}`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const tooLarge = await new Promise<boolean>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        req.off("data", onData);
        req.resume();
        resolve(true);
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(false));
    req.once("error", reject);
    req.once("aborted", () => reject(new Error("request aborted")));
  });
  if (tooLarge) return new RequestRefused(413, "body", `body: request body exceeds the limit of ${limitBytes} bytes`);
  const text = Buffer.concat(chunks).toString("utf8");
  (req as IncomingMessage & { body?: string }).body = text;
  return text === "" ? null : checkJsonText(text, "body");
}

import { XMLParser, XMLValidator } from "fast-xml-parser";

/**
 * Reading a TwiML document (Twilio's voice markup; SignalWire cXML and Telnyx TeXML are the same
 * dialect) into the verbs the TwiML channel plays. Only what a caller can observe is kept.
 */
export type HttpMethod = "GET" | "POST";

export interface DialTarget {
  /** number, sip, client, conference, queue, or the bare text of <Dial>. */
  kind: "number" | "sip" | "client" | "conference" | "queue";
  value: string;
}

export type MediaVerb =
  | { verb: "Say"; text: string; loop: number; language: string | null }
  | { verb: "Play"; url: string; loop: number }
  | { verb: "Pause"; length: number };

export type Verb =
  | MediaVerb
  | {
      verb: "Gather";
      action: string | null;
      method: HttpMethod;
      numDigits: number | null;
      finishOnKey: string;
      timeout: number;
      input: { dtmf: boolean; speech: boolean };
      actionOnEmptyResult: boolean;
      children: MediaVerb[];
    }
  | { verb: "Redirect"; url: string; method: HttpMethod }
  | { verb: "Dial"; action: string | null; method: HttpMethod; targets: DialTarget[] }
  | { verb: "Hangup" }
  | { verb: "Reject"; reason: string };

/** Verbs a caller cannot observe or this channel does not act on: skipped. */
const IGNORED = new Set(["Record", "Sms", "Message", "Enqueue", "Leave", "Connect", "Refer", "Pay", "Start", "Stop"]);

export class TwimlError extends Error {
  override name = "TwimlError";
}

type Node = Record<string, unknown>;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

function nameOf(node: Node): string | null {
  for (const key of Object.keys(node)) if (key !== ":@") return key;
  return null;
}

function attrs(node: Node): Record<string, string> {
  return (node[":@"] as Record<string, string> | undefined) ?? {};
}

function children(node: Node, name: string): Node[] {
  const c = node[name];
  return Array.isArray(c) ? (c as Node[]) : [];
}

/** All text inside a node, nested SSML elements included. */
function textOf(nodes: Node[]): string {
  const parts: string[] = [];
  for (const n of nodes) {
    const name = nameOf(n);
    if (name === "#text") parts.push(String(n["#text"]));
    else if (name !== null) parts.push(textOf(children(n, name)));
  }
  return parts.join(" ").replace(/\s+/g, " ").trim();
}

function method(value: string | undefined, verb: string): HttpMethod {
  if (value === undefined || value === "") return "POST";
  const m = value.toUpperCase();
  if (m !== "GET" && m !== "POST") throw new TwimlError(`<${verb} method="${value}">: expected GET or POST`);
  return m;
}

function whole(value: string | undefined, verb: string, attr: string, fallback: number, min = 0): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new TwimlError(`<${verb} ${attr}="${value}">: expected a whole number`);
  return n;
}

function media(node: Node, name: string): MediaVerb | null {
  const a = attrs(node);
  switch (name) {
    case "Say":
      return {
        verb: "Say",
        text: textOf(children(node, name)),
        loop: whole(a.loop, name, "loop", 1),
        language: a.language ?? null,
      };
    case "Play": {
      const url = textOf(children(node, name));
      return url === "" ? null : { verb: "Play", url, loop: whole(a.loop, name, "loop", 1) };
    }
    case "Pause":
      return { verb: "Pause", length: whole(a.length, name, "length", 1) };
    default:
      return null;
  }
}

function dialTargets(node: Node): DialTarget[] {
  const targets: DialTarget[] = [];
  for (const c of children(node, "Dial")) {
    const name = nameOf(c);
    if (name === "#text") {
      const v = String(c["#text"]).trim();
      if (v !== "") targets.push({ kind: v.toLowerCase().startsWith("sip:") ? "sip" : "number", value: v });
      continue;
    }
    const kind =
      name === null
        ? null
        : ({ Number: "number", Sip: "sip", Client: "client", Conference: "conference", Queue: "queue" } as const)[
            name as "Number"
          ];
    if (kind && name) targets.push({ kind, value: textOf(children(c, name)) });
  }
  return targets;
}

function verb(node: Node): Verb | null {
  const name = nameOf(node);
  if (name === null || name === "#text") return null;
  const m = media(node, name);
  if (m !== null || name === "Play") return m;
  const a = attrs(node);
  switch (name) {
    case "Gather": {
      const input = (a.input ?? "dtmf").toLowerCase().split(/\s+/);
      const finishOnKey = a.finishOnKey ?? "#";
      if (!/^[0-9*#]?$/.test(finishOnKey))
        throw new TwimlError(`<Gather finishOnKey="${finishOnKey}">: expected one of 0-9 * # or ""`);
      const nested: MediaVerb[] = [];
      for (const c of children(node, name)) {
        const cn = nameOf(c);
        if (cn === null || cn === "#text") continue;
        const mv = media(c, cn);
        if (mv === null) throw new TwimlError(`<Gather> may hold only <Say>, <Play> and <Pause>, not <${cn}>`);
        nested.push(mv);
      }
      return {
        verb: "Gather",
        action: a.action && a.action !== "" ? a.action : null,
        method: method(a.method, name),
        numDigits: a.numDigits === undefined ? null : whole(a.numDigits, name, "numDigits", 1, 1),
        finishOnKey,
        timeout: whole(a.timeout, name, "timeout", 5),
        input: { dtmf: input.includes("dtmf"), speech: input.includes("speech") },
        actionOnEmptyResult: (a.actionOnEmptyResult ?? "false").toLowerCase() === "true",
        children: nested,
      };
    }
    case "Redirect": {
      const url = textOf(children(node, name));
      if (url === "") throw new TwimlError("<Redirect> without a URL");
      return { verb: "Redirect", url, method: method(a.method, name) };
    }
    case "Dial": {
      const targets = dialTargets(node);
      if (targets.length === 0) throw new TwimlError("<Dial> without a number, SIP URI, client, conference or queue");
      return {
        verb: "Dial",
        action: a.action && a.action !== "" ? a.action : null,
        method: method(a.method, name),
        targets,
      };
    }
    case "Hangup":
      return { verb: "Hangup" };
    case "Reject":
      return { verb: "Reject", reason: a.reason === "busy" ? "busy" : "rejected" };
    default:
      if (IGNORED.has(name)) return null;
      throw new TwimlError(`unknown TwiML verb <${name}>`);
  }
}

/** The verbs of a TwiML document; throws TwimlError (with the line, for malformed XML). */
export function parseTwiml(xml: string): Verb[] {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new TwimlError(`not well-formed XML: line ${valid.err.line}: ${valid.err.msg}`);
  const roots = (parser.parse(xml) as Node[]).filter((n) => {
    const name = nameOf(n);
    return name !== null && name !== "?xml" && name !== "#text" && name !== "#comment";
  });
  const root = roots[0];
  if (root === undefined || nameOf(root) !== "Response") {
    throw new TwimlError(`the root element must be <Response>, got ${root ? `<${nameOf(root)}>` : "nothing"}`);
  }
  const verbs: Verb[] = [];
  for (const c of children(root, "Response")) {
    const v = verb(c);
    if (v !== null) verbs.push(v);
  }
  return verbs;
}

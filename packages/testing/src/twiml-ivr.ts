import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import twilio from "twilio";

/**
 * A TwiML IVR for tests, written with Twilio's official helper library the way a team would
 * write theirs: VoiceResponse builds the TwiML and twilio.validateRequest checks every request's
 * X-Twilio-Signature (a wrong one is answered 403). Relative action and Redirect URLs throughout.
 *
 *   /voice        main menu: Gather numDigits=1 action="menu"; no input -> a Say and Redirect back
 *   /menu         1 balance (then Redirect to voice), 2 agent (Dial action="dial-done"), 3 jingle
 *                 (Play, then Redirect GET voice-get), 4 speech Gather, 5 account number
 *                 (finishOnKey #), 9 Hangup, else invalid (Redirect to voice)
 *   /loop         Redirect to itself forever
 *   /busy         Reject reason=busy
 *   /empty        Gather actionOnEmptyResult=true
 */
export interface TwimlTestIvr {
  url: string;
  authToken: string;
  /** Every request as the IVR saw it. */
  requests: { path: string; method: string; params: Record<string, string>; valid: boolean }[];
  close(): Promise<void>;
}

const { VoiceResponse } = twilio.twiml;

export const TEST_IVR_TEXT = {
  welcome:
    "Welcome to Test Bank. Press 1 for your balance, 2 for an agent, 3 for our jingle, 4 to speak, 9 to hang up.",
  noInput: "We did not receive any input.",
  balance: "Your balance is 42 dollars.",
  agent: "Connecting you to an agent.",
  invalid: "That is not a valid choice.",
  goodbye: "Goodbye.",
  speak: "Please say what you need.",
  account: "Enter your account number, then press pound.",
} as const;

export const TEST_IVR_AGENT = "+1 (555) 010-0200";
export const TEST_IVR_SIP = "sip:support@example.com";

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function mainMenu(r: InstanceType<typeof VoiceResponse>, lead?: string): void {
  if (lead) r.say(lead);
  const g = r.gather({ numDigits: 1, action: "menu", timeout: 4 });
  g.say({ language: "en-US" }, TEST_IVR_TEXT.welcome);
  r.say(TEST_IVR_TEXT.noInput);
  r.redirect("voice");
}

function route(path: string, p: Record<string, string>): InstanceType<typeof VoiceResponse> | null {
  const r = new VoiceResponse();
  switch (path) {
    case "/voice":
    case "/voice-get":
      mainMenu(r);
      return r;
    case "/menu":
      switch (p.Digits) {
        case "1":
          r.say(TEST_IVR_TEXT.balance);
          r.redirect("voice");
          return r;
        case "2": {
          r.say(TEST_IVR_TEXT.agent);
          r.dial({ action: "dial-done" }).number(TEST_IVR_AGENT);
          return r;
        }
        case "3":
          r.play({ loop: 1 }, "audio/jingle.mp3");
          r.redirect({ method: "GET" }, "voice-get?from=jingle");
          return r;
        case "4": {
          const g = r.gather({ input: ["speech"], action: "/speech", timeout: 3 });
          g.say(TEST_IVR_TEXT.speak);
          r.say(TEST_IVR_TEXT.noInput);
          r.hangup();
          return r;
        }
        case "5": {
          const g = r.gather({ action: "account", finishOnKey: "#", timeout: 6 });
          g.say(TEST_IVR_TEXT.account);
          r.redirect("voice");
          return r;
        }
        case "9":
          r.say(TEST_IVR_TEXT.goodbye);
          r.hangup();
          return r;
        default:
          mainMenu(r, TEST_IVR_TEXT.invalid);
          return r;
      }
    case "/account":
      r.say(`Account ${p.Digits ?? "none"} found. Finished on key ${p.FinishedOnKey ?? "none"}.`);
      r.redirect("voice");
      return r;
    case "/dial-done":
      r.say(`The agent call ended with status ${p.DialCallStatus ?? "unknown"}. ${TEST_IVR_TEXT.goodbye}`);
      r.hangup();
      return r;
    case "/speech": {
      const said = p.SpeechResult ?? "";
      r.say(`You said ${said} with confidence ${p.Confidence ?? "none"}.`);
      if (/agent|person/i.test(said)) r.dial().sip(TEST_IVR_SIP);
      else r.redirect("/voice");
      return r;
    }
    case "/loop":
      r.say("Still looping.");
      r.redirect("loop");
      return r;
    case "/busy":
      r.reject({ reason: "busy" });
      return r;
    case "/empty": {
      const g = r.gather({ action: "empty-result", actionOnEmptyResult: true, timeout: 2 });
      g.say("Press a key or wait.");
      r.say("This is never heard.");
      return r;
    }
    case "/empty-result":
      r.say(`Digits were ${p.Digits ?? "none"}.`);
      r.hangup();
      return r;
    default:
      return null;
  }
}

export async function startTwimlTestIvr(authToken = "test-auth-token-0123456789abcdef"): Promise<TwimlTestIvr> {
  const requests: TwimlTestIvr["requests"] = [];
  let base = "";
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const full = `${base}${req.url ?? "/"}`;
    const u = new URL(full);
    const body = req.method === "POST" ? await readBody(req) : "";
    const form = Object.fromEntries(new URLSearchParams(body));
    const params = req.method === "POST" ? form : Object.fromEntries(u.searchParams);
    const signature = req.headers["x-twilio-signature"];
    const valid = twilio.validateRequest(
      authToken,
      typeof signature === "string" ? signature : "",
      full,
      req.method === "POST" ? form : {},
    );
    requests.push({ path: u.pathname, method: req.method ?? "", params, valid });
    if (!valid) {
      res.writeHead(403, { "content-type": "text/plain" });
      res.end("Twilio request validation failed.");
      return;
    }
    const twiml = route(u.pathname, params);
    if (twiml === null) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end(`no route ${u.pathname}`);
      return;
    }
    res.writeHead(200, { "content-type": "text/xml" });
    res.end(twiml.toString());
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/voice`,
    authToken,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import { parseArgs } from "node:util";

/**
 * The demo IVR's only configuration module: command-line flags, with environment defaults
 * (VERDICT_DEMO_IVR_HOST, VERDICT_DEMO_IVR_PORT). Nothing else in the app reads process.env.
 */
export interface DemoIvrConfig {
  host: string;
  port: number;
  dialect: "webhook" | "twiml";
  hangDtmf: string | null;
  hangPhrase: string | null;
  delayMs: number;
  quiet: boolean;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export const USAGE = `usage: verdict-demo-ivr --port <port> [--host 127.0.0.1] [--dialect webhook|twiml] [--hang-dtmf 7] [--hang-phrase "hold forever"] [--no-hang] [--delay-ms 0] [--quiet] [--version]

A small banking IVR (Acme Bank) speaking Verdict's webhook protocol:
  POST /webhook {"call_id": "...", "input": {"type": "start" | "dtmf" | "speech" | "hangup", ...}}  ->  {"prompt": "..."}
  --dialect twiml: Twilio's voice webhooks instead (form fields in, TwiML out): POST /twiml/voice starts a call,
  its <Gather action="input"> takes Digits / SpeechResult, an agent is a <Dial>, goodbye a <Hangup>.
  GET /health
--hang-dtmf / --hang-phrase: inputs the IVR never answers, to test timeouts (--no-hang turns them off).
Exit codes: 0 stopped, 1 failure (address in use), 64 usage error (bad flags).`;

function whole(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${flag}: expected a whole number ${min}-${max}, got '${value}'`);
  }
  return n;
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): DemoIvrConfig | "help" | "version" {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: "string" },
        port: { type: "string" },
        dialect: { type: "string" },
        "hang-dtmf": { type: "string" },
        "hang-phrase": { type: "string" },
        "no-hang": { type: "boolean" },
        "delay-ms": { type: "string" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new ConfigError((e as Error).message.split("\n")[0] ?? "invalid arguments");
  }
  if (values.help) return "help";
  if (values.version) return "version";
  const portText = (values.port as string | undefined) ?? env.VERDICT_DEMO_IVR_PORT;
  if (portText === undefined) throw new ConfigError("--port: required (0 picks any free port)");
  const hangDtmf = (values["hang-dtmf"] as string | undefined) ?? "7";
  if (!/^[0-9*#A-D]+$/.test(hangDtmf))
    throw new ConfigError(`--hang-dtmf: expected DTMF digits [0-9*#A-D]+, got '${hangDtmf}'`);
  const hangPhrase = (values["hang-phrase"] as string | undefined) ?? "hold forever";
  if (hangPhrase.trim() === "") throw new ConfigError("--hang-phrase: must not be empty");
  const noHang = values["no-hang"] === true;
  const dialect = (values.dialect as string | undefined) ?? "webhook";
  if (dialect !== "webhook" && dialect !== "twiml") {
    throw new ConfigError(`--dialect: expected webhook or twiml, got '${dialect}'`);
  }
  return {
    host: (values.host as string | undefined) ?? env.VERDICT_DEMO_IVR_HOST ?? "127.0.0.1",
    port: whole("--port", portText, 0, 65535),
    dialect,
    hangDtmf: noHang ? null : hangDtmf,
    hangPhrase: noHang ? null : hangPhrase,
    delayMs: whole("--delay-ms", (values["delay-ms"] as string | undefined) ?? "0", 0, 60_000),
    quiet: values.quiet === true,
  };
}

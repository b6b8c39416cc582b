import { parseArgs } from "node:util";
import { workKind, workerId } from "@verdict/schema";
import { z } from "zod";

/**
 * The worker's only reader of process.env and argv. Every setting has a flag; the environment
 * supplies defaults for the ones a deployment sets once (server, token, id, webhook).
 */
export interface WorkerConfig {
  server: string;
  token: string | undefined;
  id: string;
  concurrency: number;
  kinds: ("ivr" | "http")[];
  ivrWebhookUrl: string | undefined;
  /** The protocol the IVR speaks: webhook (Verdict's JSON) or twiml (Twilio's voice webhooks). */
  ivrChannel: "webhook" | "twiml";
  /** TwiML: the account's auth token signing every request, from VERDICT_IVR_AUTH_TOKEN (never a flag). */
  ivrAuthToken: string | undefined;
  /** Lease asked for at each claim; heartbeats go every third of it. */
  leaseMs: number;
  /** Wait between claims when the queue is empty. */
  pollMs: number;
  /** Most time a step report waits in memory before it is sent. */
  flushMs: number;
  /** Most steps sent in one report call. */
  batchSize: number;
  /** On SIGTERM: how long running work may take to finish before it is handed back. */
  drainMs: number;
  /** Ceiling of the exponential backoff between retries of a failed call. */
  maxBackoffMs: number;
  /** A call to the server that takes longer than this is abandoned (and retried). */
  requestTimeoutMs: number;
  debug: boolean;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export const USAGE = `Usage: verdict-worker --server URL --token TOKEN [options]

Claims work from a Verdict server's queue and runs it: IVR executions and HTTP run instances.

Options:
  --server <url>         Verdict server (env VERDICT_SERVER)
  --token <token>        API token with write scope (env VERDICT_TOKEN)
  --id <name>            worker name shown in the queue (env VERDICT_WORKER_ID; default host-pid)
  --concurrency <n>      items run at once (default 1)
  --kinds <list>         ivr,http (default: both with --ivr-webhook, else http)
  --ivr-webhook <url>    the IVR under test, for ivr items (env VERDICT_IVR_WEBHOOK)
  --ivr-channel <kind>   webhook (Verdict's JSON, default) or twiml (Twilio's voice webhooks; signed with
                         the auth token in env VERDICT_IVR_AUTH_TOKEN) (env VERDICT_IVR_CHANNEL)
                         A scenario that names a stored target (verdict ivr targets) calls that target
                         instead, signed with the token in env VERDICT_IVR_TOKEN_<NAME> (upper case,
                         non-alphanumerics as _); the flags above serve scenarios without a target.
  --lease-ms <ms>        lease per claim; heartbeats every third (default 30000)
  --poll-ms <ms>         wait between claims when the server cannot hold an idle claim (an idle
                         worker's claim waits on the server for work), and longest wait to claim
                         for several free slots at once (default 500)
  --flush-ms <ms>        longest a step report is held before sending (default 200)
  --batch-size <n>       most steps per report call (default 500)
  --drain-ms <ms>        on SIGTERM, time to finish running work before handing it back (default 10000)
  --max-backoff-ms <ms>  ceiling of the retry backoff while the server is unreachable (default 5000)
  --request-timeout-ms <ms>  abandon (and retry) a call after this long (default 15000)
  -V, --version          print the version
  -h, --help             show this help

Logs are JSON lines on stderr. SIGTERM/SIGINT: stop claiming, finish or hand back, exit 0.
Exit codes: 0 stopped, 1 token refused or failure, 64 usage error (bad flags, no --server or --token).`;

const positiveInt = (flag: string, min = 1, max = 86_400_000) =>
  z.coerce
    .number({ error: `${flag}: expected a whole number` })
    .int(`${flag}: expected a whole number`)
    .min(min, `${flag}: must be at least ${min}`)
    .max(max, `${flag}: must be at most ${max}`);

const httpUrl = (flag: string) =>
  z.string().refine((u) => /^https?:\/\/[^\s/]+/.test(u) && URL.canParse(u), `${flag}: expected an http(s) URL`);

const schema = z.object({
  server: httpUrl("--server"),
  token: z.string().min(1).optional(),
  id: workerId,
  concurrency: positiveInt("--concurrency", 1, 256),
  kinds: z.array(workKind).min(1),
  ivrWebhookUrl: httpUrl("--ivr-webhook").optional(),
  ivrChannel: z.enum(["webhook", "twiml"], { error: "--ivr-channel: expected webhook or twiml" }),
  ivrAuthToken: z.string().min(1).optional(),
  leaseMs: positiveInt("--lease-ms", 1000, 600_000),
  pollMs: positiveInt("--poll-ms", 10, 60_000),
  flushMs: positiveInt("--flush-ms", 1, 60_000),
  batchSize: positiveInt("--batch-size", 1, 10_000),
  drainMs: positiveInt("--drain-ms", 0, 3_600_000),
  maxBackoffMs: positiveInt("--max-backoff-ms", 10, 600_000),
  requestTimeoutMs: positiveInt("--request-timeout-ms", 100, 600_000),
  debug: z.boolean(),
});

/** Parses flags and environment; throws ConfigError with a one-line message naming the flag. */
export function loadConfig(
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
  defaults: { hostname: string; pid: number } = { hostname: "worker", pid: process.pid },
): WorkerConfig | "help" | "version" {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        server: { type: "string" },
        token: { type: "string" },
        id: { type: "string" },
        concurrency: { type: "string" },
        kinds: { type: "string" },
        "ivr-webhook": { type: "string" },
        "ivr-channel": { type: "string" },
        "lease-ms": { type: "string" },
        "poll-ms": { type: "string" },
        "flush-ms": { type: "string" },
        "batch-size": { type: "string" },
        "drain-ms": { type: "string" },
        "max-backoff-ms": { type: "string" },
        "request-timeout-ms": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    }).values;
  } catch (e) {
    throw new ConfigError((e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "bad arguments");
  }
  if (values.help) return "help";
  if (values.version) return "version";
  const str = (k: string) => {
    const v = values[k];
    return typeof v === "string" ? v : undefined;
  };
  const server = str("server") ?? env.VERDICT_SERVER;
  if (!server) throw new ConfigError("--server: required (or set VERDICT_SERVER)");
  const webhook = str("ivr-webhook") ?? (env.VERDICT_IVR_WEBHOOK || undefined);
  // Without an IVR to call, IVR items could only fail: such a worker takes HTTP items alone.
  const kindsText = str("kinds") ?? env.VERDICT_WORKER_KINDS ?? (webhook ? "ivr,http" : "http");
  const kinds = kindsText
    .split(",")
    .map((k) => k.trim())
    .filter((k) => k !== "");
  for (const k of kinds) {
    if (!workKind.options.includes(k as "ivr")) {
      throw new ConfigError(`--kinds: unknown kind '${k}' (expected ${workKind.options.join(", ")})`);
    }
  }
  if (kinds.includes("ivr") && !webhook) {
    throw new ConfigError("--ivr-webhook: required to run ivr items (or set VERDICT_IVR_WEBHOOK, or --kinds http)");
  }
  const raw = {
    server: server.replace(/\/+$/, ""),
    token: str("token") ?? (env.VERDICT_TOKEN || undefined),
    id: str("id") ?? (env.VERDICT_WORKER_ID || `${defaults.hostname}-${defaults.pid}`),
    concurrency: str("concurrency") ?? env.VERDICT_WORKER_CONCURRENCY ?? "1",
    kinds: [...new Set(kinds)],
    ivrWebhookUrl: webhook,
    ivrChannel: str("ivr-channel") ?? (env.VERDICT_IVR_CHANNEL || "webhook"),
    ivrAuthToken: env.VERDICT_IVR_AUTH_TOKEN || undefined,
    leaseMs: str("lease-ms") ?? "30000",
    pollMs: str("poll-ms") ?? "500",
    flushMs: str("flush-ms") ?? "200",
    batchSize: str("batch-size") ?? "500",
    drainMs: str("drain-ms") ?? "10000",
    maxBackoffMs: str("max-backoff-ms") ?? "5000",
    requestTimeoutMs: str("request-timeout-ms") ?? "15000",
    debug: env.VERDICT_DEBUG === "1",
  };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path[0];
    const flag = typeof field === "string" ? `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : "input";
    const message = issue?.message ?? "invalid";
    throw new ConfigError(message.startsWith("--") ? message : `${flag}: ${message}`);
  }
  const { token, ivrWebhookUrl, ivrAuthToken, ...rest } = parsed.data;
  // Refused here, before any request: a worker without a token could only be turned away by the server.
  if (token === undefined)
    throw new ConfigError(
      "--token: required (or set VERDICT_TOKEN; create one with: verdict tokens create --scope write)",
    );
  return { ...rest, token, ivrWebhookUrl, ivrAuthToken };
}

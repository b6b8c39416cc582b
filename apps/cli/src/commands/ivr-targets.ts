import {
  type IvrChannelKind,
  ivrChannelKind,
  ivrTargetName,
  ivrTargetOptions,
  ivrTargetTokenEnv,
} from "@verdict/schema";
import type { Command } from "commander";
import { withApi } from "../api.js";
import { UsageError } from "../errors.js";
import { globalsOf, oneOf, parsePositiveInt } from "../globals.js";
import { color, info, printJson, printKeyValues, printTable, printPage } from "../output.js";
import { examples, IVR_EXAMPLES } from "../help.js";

/**
 * verdict ivr targets add|list|show|rm: named IVR targets stored in the database (channel, URL,
 * non-secret options). A target's auth token is never stored: `verdict ivr run --target NAME` and
 * the worker read it from the environment variable VERDICT_IVR_TOKEN_<NAME> (upper case, every
 * character that is not a letter or digit turned into _).
 */

/** `--option k=v`, repeatable, collected in order. */
function collectOption(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The --option flags as an options object, checked here so a secret-looking key is a usage error. */
export function parseTargetOptions(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--option: expected key=value, got '${pair}'`);
    const key = pair.slice(0, eq);
    if (key in out) throw new UsageError(`--option: ${key} given twice`);
    out[key] = pair.slice(eq + 1);
  }
  const r = ivrTargetOptions.safeParse(out);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue?.path.length ? ` ${issue.path.map(String).join(".")}` : "";
    throw new UsageError(`--option${where}: ${issue?.message ?? "invalid"}`);
  }
  return r.data;
}

function targetNameArg(name: string): string {
  const r = ivrTargetName.safeParse(name);
  if (!r.success) throw new UsageError(`NAME: '${name}' is not a target name (${r.error.issues[0]?.message})`);
  return r.data;
}

function httpUrlFlag(flag: string, value: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new UsageError(`${flag}: expected an http(s) URL, got '${value}'`);
  }
  return value;
}

export function registerIvrTargetsCommand(program: Command): void {
  const ivr =
    program.commands.find((c) => c.name() === "ivr") ??
    program.command("ivr").description("IVR testing").addHelpText("after", IVR_EXAMPLES);
  const targets = ivr
    .command("targets")
    .addHelpText(
      "after",
      examples(
        "verdict ivr targets list",
        "verdict ivr targets add demo --channel webhook --url http://127.0.0.1:5050/ivr",
      ),
    )
    .description("named IVR targets (channel, URL, options); auth tokens come from env VERDICT_IVR_TOKEN_<NAME>");
  targets
    .command("add <name>")
    .addHelpText(
      "after",
      examples(
        "verdict ivr targets add demo --channel webhook --url http://127.0.0.1:5050/ivr",
        "verdict ivr targets add twilio-prod --channel twiml --url https://ivr.example.com/voice --option method=POST",
      ),
    )
    .description("store a named IVR target (never a secret: the auth token goes in env VERDICT_IVR_TOKEN_<NAME>)")
    .requiredOption("--channel <kind>", "twiml (Twilio, SignalWire cXML, Telnyx TeXML) or webhook (Verdict's JSON)")
    .requiredOption("--url <url>", "the IVR's URL (its voice webhook)")
    .option(
      "--option <key=value>",
      "a non-secret option, repeatable: from, method (GET|POST), account_sid, max_redirects, speech_confidence, dial_call_status",
      collectOption,
      [],
    )
    .action(async (rawName: string, opts: { channel: string; url: string; option: string[] }, cmd: Command) => {
      const g = globalsOf(cmd);
      const name = targetNameArg(rawName);
      const channel = oneOf<IvrChannelKind>("--channel", opts.channel, ivrChannelKind.options) ?? "webhook";
      const url = httpUrlFlag("--url", opts.url);
      const options = parseTargetOptions(opts.option);
      const created = await withApi(g, (api) => api.ivr.targets.create.mutate({ name, channel, url, options }));
      if (g.json) return printJson(created);
      info(
        `${color.green("added")} IVR target ${created.name} (${created.channel} ${created.url}); auth token from env ${ivrTargetTokenEnv(created.name)}`,
      );
    });
  targets
    .command("list")
    .description("list stored IVR targets")
    .addHelpText("after", examples("verdict ivr targets list", "verdict ivr targets list --json"))
    .option("--limit <n>", "rows", "100")
    .action(async (opts: { limit: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const limit = parsePositiveInt("--limit", opts.limit) ?? 100;
      const page = await withApi(g, (api) => api.ivr.targets.list.query({ limit }));
      if (g.json) return printPage(page);
      printTable(
        page.items.map((t) => ({
          ...t,
          options: Object.keys(t.options).length ? t.options : "",
          token_env: ivrTargetTokenEnv(t.name),
        })),
        ["name", "channel", "url", "options", "token_env", "updated_at"],
      );
    });
  targets
    .command("show <name>")
    .description("one IVR target")
    .addHelpText("after", examples("verdict ivr targets show demo"))
    .action(async (rawName: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const name = targetNameArg(rawName);
      const t = await withApi(g, (api) => api.ivr.targets.get.query({ name }));
      const tokenEnv = ivrTargetTokenEnv(t.name);
      const tokenSet = (process.env[tokenEnv] ?? "") !== "";
      if (g.json) return printJson({ ...t, token_env: tokenEnv, token_set: tokenSet });
      printKeyValues({
        name: t.name,
        channel: t.channel,
        url: t.url,
        ...Object.fromEntries(Object.entries(t.options).map(([k, v]) => [`option ${k}`, v])),
        token_env: `${tokenEnv} (${tokenSet ? "set here" : "not set here"})`,
        created_at: t.created_at,
        updated_at: t.updated_at,
      });
    });
  targets
    .command("rm <name>")
    .addHelpText("after", examples("verdict ivr targets rm demo", "verdict ivr targets rm twilio-prod --force"))
    .description("delete a target; one that scenarios name is refused unless --force")
    .option("--force", "delete it even though scenarios name it (they keep the name)", false)
    .action(async (rawName: string, opts: { force: boolean }, cmd: Command) => {
      const g = globalsOf(cmd);
      const name = targetNameArg(rawName);
      const r = await withApi(g, (api) => api.ivr.targets.delete.mutate({ name, force: opts.force }));
      if (g.json) return printJson({ name, ...r });
      info(
        `deleted IVR target ${name}${r.scenarios_referencing > 0 ? ` (${r.scenarios_referencing} scenario(s) still name it)` : ""}`,
      );
    });
}

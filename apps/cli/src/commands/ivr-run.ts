import { existsSync } from "node:fs";
import type { VerdictClient } from "@verdict/api";
import { checkOutputTarget, databaseFiles, writeOutputFile } from "@verdict/db";
import {
  type ChannelKind,
  type IvrChannel,
  type StepReport,
  channelFactoryForTarget,
  createIvrExecutor,
  tokenForTarget,
} from "@verdict/ivr-runner";
import { type Scenario, type ScenarioInput, ivrTargetName, ivrTargetTokenEnv, scenarioInput } from "@verdict/schema";
import type { Command } from "commander";
import { apiFailure, withApi } from "../api.js";
import { InputFileError, UsageError } from "../errors.js";
import { globalsOf, oneOf, parsePositiveInt } from "../globals.js";
import { readStructuredFile } from "../input-files.js";
import { type JunitCase, type JunitSuite, junitXml } from "../junit.js";
import { color, printJson } from "../output.js";
import { registerIvrTargetsCommand } from "./ivr-targets.js";
import { examples, IVR_EXAMPLES } from "../help.js";

/**
 * verdict ivr run SCENARIO… [--target NAME|URL]: runs IVR scenarios in this process against the local
 * database (no server, no worker), through the same API verbs and the same executor the worker
 * uses: each run is an execution with its steps recorded, its call_id the IVR's call id.
 * SCENARIO is a scenario file (JSON/YAML; added to the database unless an identical one is
 * there) or the id of a stored scenario. Exit 0 when every step passed, 2 when any failed, 1 on
 * an error (a bad file, an unusable target, the database). With --server URL --wait the executions
 * go through the server's queue instead and the command follows them until they end.
 * --target names a stored target (ivr_targets; its token from env VERDICT_IVR_TOKEN_<NAME>) or gives
 * a URL; without it each scenario's own target is used.
 */
interface RunOptions {
  wait?: boolean;
  pollMs?: string;
  target?: string;
  channel?: string;
  authTokenEnv?: string;
  repeat?: string;
  junit?: string;
  force?: boolean;
}

interface RunRecord {
  execution_id: number;
  scenario_id: number;
  slug: string;
  name: string;
  call_id: string | null;
  final_result: "pass" | "fail";
  error: string | null;
  started_at: string;
  seconds: number;
  steps: StepLine[];
}

/** What a step line and a JUnit case need: a step as reported (local) or as stored (--server). */
type StepLine = Pick<StepReport, "step_number" | "step_type" | "status"> & {
  latency_ms?: number | null;
  transcript?: string | null;
  dtmf_sent?: string | null;
  error?: string | null;
};

const sameScenario = (a: Scenario, b: ReturnType<typeof scenarioInput.parse>) =>
  a.name === b.name &&
  a.target_phone === b.target_phone &&
  a.timeout_seconds === b.timeout_seconds &&
  (a.target ?? null) === (b.target ?? null) &&
  (a.description ?? null) === (b.description ?? null) &&
  JSON.stringify(a.steps) === JSON.stringify(b.steps);

/** The stored scenario for a file (reused when identical, else added) or an id. */
async function resolveScenario(api: VerdictClient, ref: string): Promise<Scenario> {
  if (!existsSync(ref)) {
    if (/[/\\]|\.(ya?ml|json)$/i.test(ref)) throw new InputFileError(ref, null, null, "file not found");
    return api.ivr.scenarios.get.query({ scenario_id: ref });
  }
  const input = readStructuredFile(ref, scenarioInput);
  const slug = input.slug ?? input.scenario_id;
  if (slug !== undefined) {
    const existing = await api.ivr.scenarios.get.query({ scenario_id: slug }).catch(() => null);
    if (existing !== null) {
      if (sameScenario(existing, input)) return existing;
      throw new InputFileError(
        ref,
        null,
        input.slug !== undefined ? "slug" : "scenario_id",
        `scenario ${slug} is already stored with different content; remove it (verdict scenarios rm ${slug}) or change the slug`,
      );
    }
    return api.ivr.scenarios.create.mutate(input as ScenarioInput);
  }
  const page = await api.ivr.scenarios.list.query({ name_contains: input.name, limit: 1000 });
  const same = page.items.find((s) => sameScenario(s, input));
  return same ?? api.ivr.scenarios.create.mutate(input as ScenarioInput);
}

const isHttpUrl = (v: string) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol);

/**
 * The channel factory for `ref`: an http(s) URL (channel from --channel, token from --auth-token-env),
 * else the name of a stored target (its channel, URL and options from the database; its auth token
 * from --auth-token-env or env VERDICT_IVR_TOKEN_<NAME>, never from the database).
 */
async function resolveTarget(
  api: VerdictClient,
  ref: string,
  flag: string,
  channelFlag: ChannelKind | undefined,
  tokenFlag: string | undefined,
): Promise<() => IvrChannel> {
  if (isHttpUrl(ref)) {
    const channel = channelFlag ?? "webhook";
    if (tokenFlag !== undefined && channel !== "twiml") {
      throw new UsageError("--auth-token-env: only the twiml channel signs requests");
    }
    return channelFactoryForTarget({ name: ref, channel, url: ref, options: {} }, tokenFlag);
  }
  const name = ivrTargetName.safeParse(ref);
  if (!name.success) throw new UsageError(`${flag}: expected a stored target's name or an http(s) URL, got '${ref}'`);
  const target = await api.ivr.targets.get.query({ name: name.data }).catch((e: unknown) => {
    if (apiFailure(e)?.code === "NOT_FOUND") {
      throw new UsageError(
        `${flag}: no stored IVR target '${ref}' (see verdict ivr targets list) and not an http(s) URL`,
      );
    }
    throw e;
  });
  if (channelFlag !== undefined && channelFlag !== target.channel) {
    throw new UsageError(`--channel: target '${target.name}' speaks ${target.channel}, not ${channelFlag}`);
  }
  const token = tokenFlag ?? tokenForTarget(target.name);
  if (token !== undefined && target.channel !== "twiml") {
    throw new UsageError(`${ivrTargetTokenEnv(target.name)}: only the twiml channel signs requests`);
  }
  return channelFactoryForTarget(target, token);
}

function stepLine(r: StepLine): string {
  const mark =
    r.status === "pass"
      ? color.green("✓")
      : r.status === "skipped"
        ? color.dim("-")
        : r.status === "fail"
          ? color.red("✗")
          : color.red("!");
  // What the IVR said is cut to a line; why a step did not pass is shown whole.
  const heard = r.transcript ?? r.dtmf_sent ?? "";
  const short = r.status !== "pass" ? (r.error ?? r.status) : heard.length > 120 ? `${heard.slice(0, 117)}...` : heard;
  return `  ${mark} step ${r.step_number} ${r.step_type} ${color.dim(`${Math.round(r.latency_ms ?? 0)} ms`)}${short ? `  ${short}` : ""}`;
}

function toSuite(run: RunRecord, scenario: Scenario, label: string): JunitSuite {
  const cases: JunitCase[] = run.steps.map((s) => {
    const def = scenario.steps[s.step_number];
    return {
      name: `step ${s.step_number} ${def?.type ?? s.step_type}${def?.name ? `: ${def.name}` : ""}`,
      classname: `ivr.${scenario.slug}`,
      seconds: (s.latency_ms ?? 0) / 1000,
      status: s.status,
      message: s.error ?? null,
      output: s.transcript ?? null,
    };
  });
  return {
    name: label,
    timestamp: run.started_at.replace(/\.\d+Z$/, "Z"),
    seconds: run.seconds,
    properties: {
      scenario: scenario.slug,
      scenario_id: String(scenario.scenario_id),
      execution_id: String(run.execution_id),
      ...(run.call_id !== null ? { call_id: run.call_id } : {}),
    },
    cases,
  };
}

export function registerIvrRunCommand(program: Command): void {
  const ivr =
    program.commands.find((c) => c.name() === "ivr") ??
    program.command("ivr").description("IVR testing").addHelpText("after", IVR_EXAMPLES);
  registerIvrTargetsCommand(program);
  ivr
    .command("run <scenario...>")
    .addHelpText(
      "after",
      examples(
        "verdict ivr run scenarios/balance.yaml --target http://127.0.0.1:5050/ivr",
        "verdict ivr run bank-balance --target twilio-prod --repeat 3 --junit ivr.xml",
        "verdict --server http://127.0.0.1:4000 ivr run bank-balance --wait",
      ),
    )
    .description("run IVR scenarios (files or stored ids) against an IVR, in this process, recording executions")
    .option(
      "--target <name|url>",
      "a stored target (verdict ivr targets list; token from env VERDICT_IVR_TOKEN_<NAME>) or the IVR's URL; default: each scenario's target",
    )
    .option("--channel <kind>", "twiml (Twilio, SignalWire cXML, Telnyx TeXML) or webhook (Verdict's JSON)", "webhook")
    .option("--auth-token-env <name>", "environment variable holding the auth token that signs TwiML requests")
    .option("--repeat <n>", "run each scenario n times", "1")
    .option("--junit <file>", "write a JUnit XML report")
    .option("--force", "replace an existing --junit file", false)
    .option("--wait", "with --server: queue the executions for the server's workers and wait for them", false)
    .option("--poll-ms <ms>", "with --server --wait: how often to look for progress", "500")
    .action(async (refs: string[], opts: RunOptions, cmd: Command) => {
      const g = globalsOf(cmd);
      // The report goes through the shared safe output: refused before any call is made when it exists
      // (without --force) or is the open database (even with --force).
      const protect = g.server ? [] : databaseFiles(g.db);
      if (opts.junit !== undefined) checkOutputTarget(opts.junit, { force: opts.force === true, protect });
      if (g.server) {
        if (!opts.wait)
          throw new UsageError("ivr run --server: give --wait (the executions run on the server's workers)");
        if (
          opts.target !== undefined ||
          opts.authTokenEnv !== undefined ||
          cmd.getOptionValueSource("channel") === "cli"
        ) {
          throw new UsageError(
            "ivr run --server: the workers call each scenario's stored target, else the IVR they were started with (verdict-worker --ivr-webhook, --ivr-channel); drop --target, --channel and --auth-token-env",
          );
        }
        const repeat = parsePositiveInt("--repeat", opts.repeat) ?? 1;
        const pollMs = parsePositiveInt("--poll-ms", opts.pollMs) ?? 500;
        return finish(g.json, opts, await runQueued(g, refs, repeat, pollMs), protect);
      }
      if (opts.wait) throw new UsageError("--wait: only with --server (locally, ivr run always waits)");
      const channelFlag =
        cmd.getOptionValueSource("channel") === "cli"
          ? oneOf<ChannelKind>("--channel", opts.channel, ["twiml", "webhook"])
          : undefined;
      const repeat = parsePositiveInt("--repeat", opts.repeat) ?? 1;
      let authToken: string | undefined;
      if (opts.authTokenEnv !== undefined) {
        authToken = process.env[opts.authTokenEnv];
        if (authToken === undefined || authToken === "") {
          throw new UsageError(`--auth-token-env: the environment variable ${opts.authTokenEnv} is not set`);
        }
      }
      const say = (line: string) => (g.json ? process.stderr : process.stdout).write(`${line}\n`);
      // Every call gets its channel from the run's --target or its scenario's stored target.
      const executor = createIvrExecutor({
        onWarning: (w) => process.stderr.write(`${color.yellow("warning:")} ${w}\n`),
      });
      const abort = new AbortController();
      const onSigint = () => abort.abort(new Error("interrupted (SIGINT)"));
      process.once("SIGINT", onSigint);

      const runs: RunRecord[] = [];
      const suites: JunitSuite[] = [];
      try {
        await withApi(g, async (api) => {
          const scenarios: Scenario[] = [];
          for (const ref of refs) scenarios.push(await resolveScenario(api, ref));
          // Every target is resolved before the first call: a bad one fails the run before it starts.
          const runTarget =
            opts.target !== undefined
              ? await resolveTarget(api, opts.target, "--target", channelFlag, authToken)
              : undefined;
          const channels = new Map<number, () => IvrChannel>();
          for (const scenario of scenarios) {
            if (runTarget !== undefined) channels.set(scenario.scenario_id, runTarget);
            else if (scenario.target) {
              const what = `scenario ${scenario.slug}: target`;
              channels.set(
                scenario.scenario_id,
                await resolveTarget(api, scenario.target, what, channelFlag, authToken),
              );
            } else {
              throw new UsageError(
                `ivr run: scenario ${scenario.slug} names no target; give --target NAME|URL (or set the scenario's target)`,
              );
            }
          }
          for (const scenario of scenarios) {
            const channel = channels.get(scenario.scenario_id);
            for (let k = 1; k <= repeat; k++) {
              if (abort.signal.aborted) return;
              const label = repeat > 1 ? `${scenario.name} #${k}` : scenario.name;
              say(color.bold(`${label} (${scenario.slug})`));
              const exe = await api.ivr.executions.start.mutate({ scenario_id: scenario.scenario_id });
              const steps: StepReport[] = [];
              let recording: Promise<unknown> = Promise.resolve();
              const t0 = Date.now();
              const result = await executor.run({
                executionId: String(exe.execution_id),
                scenario,
                signal: abort.signal,
                ...(channel !== undefined ? { channel } : {}),
                report: (step) => {
                  steps.push(step);
                  say(stepLine(step));
                  recording = recording.then(() =>
                    api.ivr.steps.record.mutate({ execution_id: exe.execution_id, ...step }),
                  );
                },
                trainingSamples: () => api.ivr.training.export.query({ validation_status: "validated" }),
              });
              await recording;
              const error = abort.signal.aborted ? `interrupted; ${result.error ?? ""}`.trim() : (result.error ?? null);
              await api.ivr.executions.finish.mutate({
                execution_id: exe.execution_id,
                status: abort.signal.aborted ? "failed" : "completed",
                final_result: result.final_result,
                error_message: error,
                call_id: result.call_id,
              });
              const run: RunRecord = {
                execution_id: exe.execution_id,
                scenario_id: scenario.scenario_id,
                slug: scenario.slug,
                name: label,
                call_id: result.call_id,
                final_result: result.final_result,
                error,
                started_at: exe.start_time ?? new Date(t0).toISOString(),
                seconds: (Date.now() - t0) / 1000,
                steps,
              };
              runs.push(run);
              suites.push(toSuite(run, scenario, label));
              const verdict = run.final_result === "pass" ? color.green("PASS") : color.red("FAIL");
              say(`${verdict} ${label}  execution ${run.execution_id}${run.call_id ? `  call ${run.call_id}` : ""}`);
            }
          }
        });
      } finally {
        process.removeListener("SIGINT", onSigint);
      }
      finish(g.json, opts, { runs, suites }, protect);
      if (abort.signal.aborted) process.exitCode = 130;
    });
}

/** The report (JUnit file, JSON or summary line) and the exit code: 2 when any execution failed. */
function finish(
  json: boolean,
  opts: RunOptions,
  done: { runs: RunRecord[]; suites: JunitSuite[] },
  protect: readonly string[],
): void {
  const { runs, suites } = done;
  if (opts.junit !== undefined)
    writeOutputFile(opts.junit, junitXml("verdict ivr run", suites), { force: opts.force === true, protect });
  const failed = runs.filter((r) => r.final_result !== "pass").length;
  if (json) printJson({ passed: runs.length - failed, failed, executions: runs });
  else process.stdout.write(`${runs.length - failed} passed, ${failed} failed\n`);
  if (failed > 0) process.exitCode = 2;
}

const FINISHED = new Set(["completed", "failed", "timeout"]);
const ITEM_ENDED = new Set(["done", "failed", "timeout"]);

/**
 * --server --wait: each scenario stored on the server (files added unless identical), its
 * executions queued, then followed until they end, printing steps as the workers report them.
 * A queued execution is a queue item until a worker starts it: the item is read until it names
 * its execution (or ends without one), then the execution.
 */
async function runQueued(
  g: ReturnType<typeof globalsOf>,
  refs: string[],
  repeat: number,
  pollMs: number,
): Promise<{ runs: RunRecord[]; suites: JunitSuite[] }> {
  const say = (line: string) => (g.json ? process.stderr : process.stdout).write(`${line}\n`);
  return withApi(g, async (api) => {
    const queued: { scenario: Scenario; item_id: string; label: string }[] = [];
    for (const ref of refs) {
      const scenario = await resolveScenario(api, ref);
      const r = await api.queue.enqueue.mutate({ scenario_id: scenario.scenario_id, repeat });
      r.item_ids.forEach((item_id, k) => {
        queued.push({ scenario, item_id, label: repeat > 1 ? `${scenario.name} #${k + 1}` : scenario.name });
      });
    }
    const runs: RunRecord[] = [];
    const suites: JunitSuite[] = [];
    for (const q of queued) {
      say(color.bold(`${q.label} (${q.scenario.slug}, queue item ${q.item_id})`));
      const printed = new Set<number>();
      const deadline = Date.now() + (q.scenario.timeout_seconds + 300) * 1000 * Math.max(1, queued.length);
      let executionId: number | null = null;
      for (;;) {
        if (executionId === null) {
          const item = await api.queue.get.query({ item_id: q.item_id });
          executionId = item.execution_id;
          if (executionId === null) {
            if (ITEM_ENDED.has(item.status))
              throw new Error(
                `queue item ${q.item_id} ended ${item.status} before it started: ${item.last_error ?? ""}`,
              );
            if (Date.now() > deadline)
              throw new Error(
                `queue item ${q.item_id} is still ${item.status} after waiting past its scenario's timeout: are workers running (verdict queue list)?`,
              );
            await new Promise((r) => setTimeout(r, pollMs));
            continue;
          }
        }
        const exe = await api.ivr.executions.get.query({ execution_id: executionId });
        const steps = await api.ivr.steps.list.query({ execution_id: executionId });
        for (const st of steps.sort((a, b) => a.step_number - b.step_number)) {
          if (printed.has(st.step_number)) continue;
          printed.add(st.step_number);
          say(stepLine(st));
        }
        if (FINISHED.has(exe.status)) {
          const run: RunRecord = {
            execution_id: exe.execution_id,
            scenario_id: q.scenario.scenario_id,
            slug: q.scenario.slug,
            name: q.label,
            call_id: exe.call_id,
            final_result: exe.final_result === "pass" && exe.status === "completed" ? "pass" : "fail",
            error: exe.error_message,
            started_at: exe.start_time ?? new Date().toISOString(),
            seconds:
              exe.start_time && exe.end_time ? (Date.parse(exe.end_time) - Date.parse(exe.start_time)) / 1000 : 0,
            steps: steps.map((st) => ({ ...st, step_type: st.step_type })),
          };
          runs.push(run);
          suites.push(toSuite(run, q.scenario, q.label));
          const verdict = run.final_result === "pass" ? color.green("PASS") : color.red("FAIL");
          say(`${verdict} ${q.label}  execution ${run.execution_id}${run.call_id ? `  call ${run.call_id}` : ""}`);
          break;
        }
        if (Date.now() > deadline) {
          throw new Error(
            `execution ${executionId} is still ${exe.status} after waiting past its scenario's timeout: are workers running (verdict queue list)?`,
          );
        }
        await new Promise((r) => setTimeout(r, pollMs));
      }
    }
    return { runs, suites };
  });
}

import { existsSync } from "node:fs";
import type { VerdictClient } from "@verdict/api";
import { type ChannelKind, type StepReport, createIvrExecutor } from "@verdict/ivr-runner";
import { type Scenario, type ScenarioInput, scenarioInput } from "@verdict/schema";
import type { Command } from "commander";
import { withApi } from "../api.js";
import { InputFileError, UsageError } from "../errors.js";
import { globalsOf, oneOf, parsePositiveInt } from "../globals.js";
import { readStructuredFile } from "../input-files.js";
import { type JunitCase, type JunitSuite, OutputExistsError, junitXml, writeNew } from "../junit.js";
import { color, printJson } from "../output.js";

/**
 * verdict ivr run SCENARIO… --target URL: runs IVR scenarios in this process against the local
 * database (no server, no worker), through the same API verbs and the same executor the worker
 * uses: each run is an execution with its steps recorded, its call_id the IVR's call id.
 * SCENARIO is a scenario file (JSON/YAML; added to the database unless an identical one is
 * there) or the id of a stored scenario. Exit 0 when every step passed, 2 when any failed, 1 on
 * an error (a bad file, an unusable target, the database).
 */
interface RunOptions {
  target?: string;
  channel?: string;
  authTokenEnv?: string;
  repeat?: string;
  junit?: string;
  force?: boolean;
}

interface RunRecord {
  execution_id: string;
  scenario_id: string;
  name: string;
  call_id: string | null;
  final_result: "pass" | "fail";
  error: string | null;
  started_at: string;
  seconds: number;
  steps: StepReport[];
}

const sameScenario = (a: Scenario, b: ReturnType<typeof scenarioInput.parse>) =>
  a.name === b.name &&
  a.target_phone === b.target_phone &&
  a.timeout_seconds === b.timeout_seconds &&
  (a.description ?? null) === (b.description ?? null) &&
  JSON.stringify(a.steps) === JSON.stringify(b.steps);

/** The stored scenario for a file (reused when identical, else added) or an id. */
async function resolveScenario(api: VerdictClient, ref: string): Promise<Scenario> {
  if (!existsSync(ref)) {
    if (/[/\\]|\.(ya?ml|json)$/i.test(ref)) throw new InputFileError(ref, null, null, "file not found");
    return api.ivr.scenarios.get.query({ scenario_id: ref });
  }
  const input = readStructuredFile(ref, scenarioInput);
  if (input.scenario_id !== undefined) {
    const existing = await api.ivr.scenarios.get.query({ scenario_id: input.scenario_id }).catch(() => null);
    if (existing !== null) {
      if (sameScenario(existing, input)) return existing;
      throw new InputFileError(
        ref,
        null,
        "scenario_id",
        `scenario ${input.scenario_id} is already stored with different content; remove it (verdict scenarios rm ${input.scenario_id}) or change the id`,
      );
    }
    return api.ivr.scenarios.create.mutate(input as ScenarioInput);
  }
  const page = await api.ivr.scenarios.list.query({ name_contains: input.name, limit: 1000 });
  const same = page.items.find((s) => sameScenario(s, input));
  return same ?? api.ivr.scenarios.create.mutate(input as ScenarioInput);
}

function stepLine(r: StepReport): string {
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
  return `  ${mark} step ${r.step_number} ${r.step_type} ${color.dim(`${Math.round(r.latency_ms)} ms`)}${short ? `  ${short}` : ""}`;
}

function toSuite(run: RunRecord, scenario: Scenario, label: string): JunitSuite {
  const cases: JunitCase[] = run.steps.map((s) => {
    const def = scenario.steps[s.step_number];
    return {
      name: `step ${s.step_number} ${def?.type ?? s.step_type}${def?.name ? `: ${def.name}` : ""}`,
      classname: `ivr.${scenario.scenario_id}`,
      seconds: s.latency_ms / 1000,
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
      scenario_id: scenario.scenario_id,
      execution_id: run.execution_id,
      ...(run.call_id !== null ? { call_id: run.call_id } : {}),
    },
    cases,
  };
}

export function registerIvrRunCommand(program: Command): void {
  const ivr = program.commands.find((c) => c.name() === "ivr") ?? program.command("ivr").description("IVR testing");
  ivr
    .command("run <scenario...>")
    .description("run IVR scenarios (files or stored ids) against an IVR, in this process, recording executions")
    .option("--target <url>", "the IVR's URL (its voice webhook)")
    .option("--channel <kind>", "twiml (Twilio, SignalWire cXML, Telnyx TeXML) or webhook (Verdict's JSON)", "webhook")
    .option("--auth-token-env <name>", "environment variable holding the auth token that signs TwiML requests")
    .option("--repeat <n>", "run each scenario n times", "1")
    .option("--junit <file>", "write a JUnit XML report")
    .option("--force", "replace an existing --junit file", false)
    .action(async (refs: string[], opts: RunOptions, cmd: Command) => {
      const g = globalsOf(cmd);
      if (g.server) throw new UsageError("ivr run: runs on the local database (--db); --server is not supported");
      if (opts.target === undefined) throw new UsageError("ivr run: --target <url> is required");
      if (!URL.canParse(opts.target) || !/^https?:$/.test(new URL(opts.target).protocol)) {
        throw new UsageError(`--target: expected an http(s) URL, got '${opts.target}'`);
      }
      const channel = oneOf<ChannelKind>("--channel", opts.channel, ["twiml", "webhook"]) ?? "webhook";
      const repeat = parsePositiveInt("--repeat", opts.repeat) ?? 1;
      let authToken: string | undefined;
      if (opts.authTokenEnv !== undefined) {
        authToken = process.env[opts.authTokenEnv];
        if (authToken === undefined || authToken === "") {
          throw new UsageError(`--auth-token-env: the environment variable ${opts.authTokenEnv} is not set`);
        }
        if (channel !== "twiml") throw new UsageError("--auth-token-env: only the twiml channel signs requests");
      }
      if (opts.junit !== undefined && !opts.force && existsSync(opts.junit)) {
        throw new OutputExistsError(`--junit: ${opts.junit} already exists (use --force to replace it)`);
      }
      const say = (line: string) => (g.json ? process.stderr : process.stdout).write(`${line}\n`);
      const executor = createIvrExecutor({
        ivrWebhookUrl: opts.target,
        ivrChannel: channel,
        ...(authToken !== undefined ? { authToken } : {}),
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
          for (const scenario of scenarios) {
            for (let k = 1; k <= repeat; k++) {
              if (abort.signal.aborted) return;
              const label = repeat > 1 ? `${scenario.name} #${k}` : scenario.name;
              say(color.bold(`${label} (${scenario.scenario_id})`));
              const exe = await api.ivr.executions.start.mutate({ scenario_id: scenario.scenario_id });
              const steps: StepReport[] = [];
              let recording: Promise<unknown> = Promise.resolve();
              const t0 = Date.now();
              const result = await executor.run({
                executionId: exe.execution_id,
                scenario,
                signal: abort.signal,
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
      if (opts.junit !== undefined) {
        writeNew(opts.junit, junitXml("verdict ivr run", suites), opts.force === true);
      }
      const failed = runs.filter((r) => r.final_result !== "pass").length;
      if (g.json) printJson({ passed: runs.length - failed, failed, executions: runs });
      else say(`${runs.length - failed} passed, ${failed} failed`);
      if (abort.signal.aborted) process.exitCode = 130;
      else if (failed > 0) process.exitCode = 2;
    });
}

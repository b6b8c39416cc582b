import type { Command } from "commander";
import { checkOutputTarget, databaseFiles, writeOutputFile } from "@verdict/db";
import {
  type StepDefinition,
  executionStatus,
  finalResult,
  scenarioInput,
  trainingSource,
  validationStatus,
} from "@verdict/schema";
import { withApi } from "../api.js";
import { globalsOf, isoFlag, oneOf, parsePositiveInt } from "../globals.js";
import { csvField, readStructuredFile } from "../input-files.js";
import { color, info, printJson, printKeyValues, printTable, printPage } from "../output.js";
import { readTrainingFile } from "../training-file.js";
import { examples } from "../help.js";

function stepDetail(st: StepDefinition): string | undefined {
  switch (st.type) {
    case "dtmf":
      return st.digits;
    case "intent":
      return `${st.utterance ?? ""} → ${st.expected_intent}`;
    case "prompt":
      return st.expected_text ?? (st.expect ? JSON.stringify(st.expect) : undefined);
    case "validate":
      return st.expected_intent ?? st.expected_text;
    case "no_input":
      return `${st.seconds} s silent${st.expected_text ? ` → ${st.expected_text}` : ""}`;
    case "expect_transfer":
      return st.to ?? "any transfer";
    case "expect_hangup":
      return "the IVR hangs up";
    case "expect_audio":
      return st.url_pattern;
  }
}

export function registerIvrCommands(program: Command): void {
  const scenarios = program
    .command("scenarios")
    .addHelpText("after", examples("verdict scenarios list", "verdict scenarios add scenarios/balance.yaml"))
    .description("IVR test scenarios");
  scenarios
    .command("add <file>")
    .addHelpText(
      "after",
      examples(
        "verdict scenarios add scenarios/balance.yaml",
        "verdict --server http://127.0.0.1:4000 --token $VERDICT_TOKEN scenarios add balance.json",
      ),
    )
    .description("add a scenario from a JSON or YAML file")
    .action(async (file: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const input = readStructuredFile(file, scenarioInput);
      const created = await withApi(g, (api) => api.ivr.scenarios.create.mutate(input));
      if (g.json) return printJson(created);
      info(
        `${color.green("added")} scenario ${created.slug} (id ${created.scenario_id}, ${created.steps.length} steps)`,
      );
    });
  scenarios
    .command("update <id> <file>")
    .addHelpText("after", examples("verdict scenarios update bank-balance scenarios/balance.yaml"))
    .description("replace a scenario's definition with the one in a JSON or YAML file (its executions stay)")
    .action(async (id: string, file: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const scenario = readStructuredFile(file, scenarioInput);
      const updated = await withApi(g, (api) => api.ivr.scenarios.replace.mutate({ scenario_id: id, scenario }));
      if (g.json) return printJson(updated);
      info(
        `${color.green("updated")} scenario ${updated.slug} (id ${updated.scenario_id}, ${updated.steps.length} steps)`,
      );
    });
  scenarios
    .command("list")
    .description("list scenarios")
    .addHelpText("after", examples("verdict scenarios list", "verdict scenarios list --json"))
    .option("--name <text>", "name contains")
    .option("--limit <n>", "rows", "50")
    .action(async (opts: { name?: string; limit: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const limit = parsePositiveInt("--limit", opts.limit) ?? 50;
      const page = await withApi(g, (api) =>
        api.ivr.scenarios.list.query({ limit, ...(opts.name ? { name_contains: opts.name } : {}) }),
      );
      if (g.json) return printPage(page);
      printTable(
        page.items.map((s) => ({ ...s, steps: s.steps.length })),
        ["scenario_id", "slug", "name", "target_phone", "steps", "timeout_seconds", "updated_at"],
      );
    });
  scenarios
    .command("show <id>")
    .description("one scenario with its steps")
    .addHelpText("after", examples("verdict scenarios show bank-balance", "verdict scenarios show bank-balance --json"))
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const s = await withApi(g, (api) => api.ivr.scenarios.get.query({ scenario_id: id }));
      if (g.json) return printJson(s);
      printKeyValues({
        scenario_id: s.scenario_id,
        slug: s.slug,
        name: s.name,
        description: s.description,
        target_phone: s.target_phone,
        target: s.target,
        timeout_seconds: s.timeout_seconds,
        created_at: s.created_at,
        updated_at: s.updated_at,
      });
      printTable(
        s.steps.map((st, i) => ({
          "#": i,
          type: st.type,
          name: st.name,
          detail: stepDetail(st),
          timeout_ms: st.timeout_ms,
        })),
        ["#", "type", "name", "detail", "timeout_ms"],
      );
    });
  scenarios
    .command("rm <id>")
    .addHelpText(
      "after",
      examples("verdict scenarios rm bank-agent", "verdict scenarios rm bank-balance --force   # and its executions"),
    )
    .description("delete a scenario; one with executions is refused unless --force")
    .option("--force", "also delete the scenario's executions and their steps (its history)", false)
    .action(async (id: string, opts: { force: boolean }, cmd: Command) => {
      const g = globalsOf(cmd);
      const r = await withApi(g, (api) =>
        api.ivr.scenarios.delete.mutate({ scenario_id: id, ...(opts.force ? { force: true } : {}) }),
      );
      if (g.json) return printJson({ scenario_id: id, ...r });
      info(`deleted scenario ${id}${r.executions_deleted > 0 ? ` with its ${r.executions_deleted} execution(s)` : ""}`);
    });

  const executions = program
    .command("executions")
    .addHelpText(
      "after",
      examples(
        "verdict executions list --result fail --since 1d",
        "verdict executions enqueue --scenario bank-balance",
      ),
    )
    .description("IVR test executions");
  executions
    .command("list")
    .description("list executions, newest first")
    .addHelpText(
      "after",
      examples("verdict executions list", "verdict executions list --scenario bank-balance --result fail --since 2d"),
    )
    .option("--scenario <id>")
    .option("--status <status>", `queued|${executionStatus.options.join("|")} (queued: read from the queue)`)
    .option("--result <result>", "pass|fail")
    .option("--since <time>")
    .option("--until <time>")
    .option("--limit <n>", "rows", "50")
    .action(
      async (
        opts: { scenario?: string; status?: string; result?: string; since?: string; until?: string; limit: string },
        cmd: Command,
      ) => {
        const g = globalsOf(cmd);
        const wanted = oneOf("--status", opts.status, ["queued", ...executionStatus.options]);
        if (wanted === "queued") {
          // A queued execution lives in the queue until a worker starts it: its queue item is listed.
          const page = await withApi(g, (api) =>
            api.queue.list.query({
              limit: parsePositiveInt("--limit", opts.limit) ?? 50,
              kind: "ivr",
              status: "queued",
              ...(opts.scenario ? { scenario_id: opts.scenario } : {}),
            }),
          );
          if (g.json) return printJson(page);
          printTable(
            page.items.map((i) => ({ ...i, item_id: i.id, scenario: i.scenario_id, status: "queued" })),
            ["item_id", "scenario", "scenario_ref", "execution_id", "status", "attempts", "enqueued_at"],
          );
          return;
        }
        const status = wanted;
        const result = oneOf("--result", opts.result, finalResult.options);
        const since = isoFlag("--since", opts.since);
        const until = isoFlag("--until", opts.until);
        const limit = parsePositiveInt("--limit", opts.limit) ?? 50;
        const page = await withApi(g, (api) =>
          api.ivr.executions.list.query({
            limit,
            ...(opts.scenario ? { scenario_id: opts.scenario } : {}),
            ...(status ? { status } : {}),
            ...(result ? { final_result: result } : {}),
            ...(since ? { since } : {}),
            ...(until ? { until } : {}),
          }),
        );
        if (g.json) return printPage(page);
        printTable(
          page.items.map((e) => ({
            ...e,
            final_result:
              e.final_result === "pass" ? color.green("pass") : e.final_result === "fail" ? color.red("fail") : null,
          })),
          ["execution_id", "scenario_id", "status", "final_result", "start_time", "end_time", "call_id"],
        );
      },
    );
  executions
    .command("show <id>")
    .description("one execution with its steps")
    .addHelpText(
      "after",
      examples("verdict executions show seed-exe-001", "verdict executions show seed-exe-001 --json"),
    )
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const [execution, steps] = await withApi(g, (api) =>
        Promise.all([
          api.ivr.executions.get.query({ execution_id: id }),
          api.ivr.steps.list.query({ execution_id: id }),
        ]),
      );
      if (g.json) return printJson({ ...execution, steps });
      printKeyValues(execution);
      printTable(steps, [
        "step_number",
        "step_type",
        "status",
        "expected_intent",
        "actual_intent",
        "confidence",
        "dtmf_sent",
        "latency_ms",
        "error",
      ]);
    });

  const training = program
    .command("training")
    .addHelpText("after", examples("verdict training list --status pending", "verdict training evaluate"))
    .description("intent training data");
  training
    .command("import <file>")
    .addHelpText(
      "after",
      examples("verdict training import samples.csv", "verdict training import samples.jsonl --json"),
    )
    .description(
      "import samples from CSV (text,intent[,threshold,source]) or JSONL; all or nothing; samples already stored (same text and intent) are skipped",
    )
    .action(async (file: string, _o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const samples = readTrainingFile(file);
      const r = await withApi(g, (api) => api.ivr.training.addMany.mutate({ samples }));
      if (g.json) return printJson(r);
      info(`${color.green("imported")} ${file}: ${r.inserted} added, ${r.already_present} already present`);
    });
  training
    .command("export")
    .description("write training samples to a CSV or JSONL file (new file, or --force)")
    .addHelpText(
      "after",
      examples(
        "verdict training export --out validated.jsonl",
        "verdict training export --out all.csv --status pending --force",
      ),
    )
    .requiredOption("--out <file>", "write here (.csv or .jsonl); an existing file is refused unless --force")
    .option("--force", "replace an existing --out file (never the database)")
    .option("--status <status>", validationStatus.options.join("|"))
    .option("--intent <label>")
    .action(async (opts: { out: string; force?: boolean; status?: string; intent?: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const status = oneOf("--status", opts.status, validationStatus.options);
      const target = { force: Boolean(opts.force), protect: databaseFiles(g.db) };
      checkOutputTarget(opts.out, target);
      const rows = await withApi(g, (api) =>
        api.ivr.training.export.query({
          ...(status ? { validation_status: status } : {}),
          ...(opts.intent ? { intent_label: opts.intent } : {}),
        }),
      );
      const text = opts.out.toLowerCase().endsWith(".csv")
        ? `text,intent,threshold,source\n${rows.map((r) => [r.text_sample, r.intent_label, String(r.confidence_threshold), r.source].map(csvField).join(",")).join("\n")}${rows.length ? "\n" : ""}`
        : rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : "");
      writeOutputFile(opts.out, text, target);
      if (g.json) return printJson({ out: opts.out, exported: rows.length });
      info(`exported ${rows.length} sample(s) to ${opts.out}`);
    });
  training
    .command("list")
    .description("list training samples")
    .addHelpText(
      "after",
      examples("verdict training list", "verdict training list --intent check_balance --status pending"),
    )
    .option("--intent <label>")
    .option("--status <status>", validationStatus.options.join("|"))
    .option("--source <source>", trainingSource.options.join("|"))
    .option("--limit <n>", "rows", "50")
    .action(async (opts: { intent?: string; status?: string; source?: string; limit: string }, cmd: Command) => {
      const g = globalsOf(cmd);
      const status = oneOf("--status", opts.status, validationStatus.options);
      const source = oneOf("--source", opts.source, trainingSource.options);
      const limit = parsePositiveInt("--limit", opts.limit) ?? 50;
      const page = await withApi(g, (api) =>
        api.ivr.training.list.query({
          limit,
          ...(opts.intent ? { intent_label: opts.intent } : {}),
          ...(status ? { validation_status: status } : {}),
          ...(source ? { source } : {}),
        }),
      );
      if (g.json) return printPage(page);
      printTable(page.items, [
        "training_id",
        "intent_label",
        "text_sample",
        "confidence_threshold",
        "source",
        "validation_status",
      ]);
    });
  for (const [name, status] of [
    ["validate", "validated"],
    ["reject", "rejected"],
  ] as const) {
    training
      .command(`${name} <ids...>`)
      .addHelpText("after", examples(`verdict training ${name} seed-trn-07 seed-trn-14`))
      .description(`mark samples ${status}`)
      .action(async (ids: string[], _o: unknown, cmd: Command) => {
        const g = globalsOf(cmd);
        const r = await withApi(g, (api) =>
          api.ivr.training.setStatus.mutate({ training_ids: ids, validation_status: status }),
        );
        if (g.json) return printJson(r);
        info(`${status} ${r.updated} sample(s)`);
      });
  }
}

import { type TrainingInput, trainingFileRecord, trainingInput } from "@verdict/schema";
import { LineCounter, parseDocument } from "yaml";
import { InputFileError } from "./errors.js";
import { LineProblems, issueProblems, jsonSyntaxPosition, suggestKey } from "./file-issues.js";
import { nonBlankLines, parseCsvLine } from "./input-files.js";

/**
 * Training files for `verdict training import`: CSV (`text,intent[,threshold,source]`, header optional)
 * or JSONL (one sample per line, see trainingFileRecord). Every problem of the file is reported at once
 * (up to a limit), each `file:line[:col]: field: problem`; nothing is imported unless all lines are good.
 */
export function readTrainingFile(file: string): TrainingInput[] {
  const { samples, problems } = file.toLowerCase().endsWith(".csv") ? readCsv(file) : readJsonl(file);
  if (problems.count > 0) throw problems.error(file);
  if (samples.length === 0) throw new InputFileError(file, null, null, "no samples in file");
  return samples;
}

interface Read {
  samples: TrainingInput[];
  problems: LineProblems;
}

const CSV_COLUMNS = ["text", "intent", "threshold", "source"] as const;

/** 1-based character column where each CSV cell of `line` starts (quotes included). */
function cellStarts(line: string): number[] {
  const starts = [1];
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === "," && !quoted) starts.push(i + 2);
  }
  return starts;
}

function readCsv(file: string): Read {
  const samples: TrainingInput[] = [];
  const problems = new LineProblems();
  for (const { line, text } of nonBlankLines(file)) {
    const cells = parseCsvLine(text);
    if (!cells) {
      problems.add(new InputFileError(file, line, null, "malformed CSV (unbalanced quotes)"));
      continue;
    }
    const starts = cellStarts(text);
    if (line === 1 && samples.length === 0 && cells[0]?.toLowerCase() === "text") {
      // A header: its names must be the known columns, in their order.
      cells.forEach((name, i) => {
        if (name.toLowerCase() !== CSV_COLUMNS[i]) {
          const problem = CSV_COLUMNS[i]
            ? `expected column '${CSV_COLUMNS[i]}' here, got '${name}'`
            : suggestKey(name, [...CSV_COLUMNS]).replace("unknown key", "unknown column");
          problems.add(new InputFileError(file, line, `header.${i + 1}`, problem, starts[i] ?? null));
        }
      });
      continue;
    }
    if (cells.length < 2 || cells.length > 4) {
      problems.add(
        new InputFileError(
          file,
          line,
          null,
          `expected 2-4 columns (text,intent[,threshold,source]), got ${cells.length}`,
        ),
      );
      continue;
    }
    const [text_sample, intent_label, threshold, source] = cells;
    let confidence: number | undefined;
    if (threshold !== undefined && threshold !== "") {
      confidence = Number(threshold);
      if (Number.isNaN(confidence)) {
        problems.add(
          new InputFileError(file, line, "confidence_threshold", `not a number: '${threshold}'`, starts[2] ?? null),
        );
        continue;
      }
    }
    const r = trainingInput.safeParse({
      text_sample,
      intent_label,
      ...(confidence !== undefined ? { confidence_threshold: confidence } : {}),
      ...(source ? { source } : {}),
    });
    if (r.success) {
      samples.push(r.data);
      continue;
    }
    const column: Record<string, number> = { text_sample: 0, intent_label: 1, confidence_threshold: 2, source: 3 };
    for (const issue of r.error.issues) {
      const field = issue.path.map(String).join(".");
      const at = column[field];
      problems.add(
        new InputFileError(file, line, field || null, issue.message, at === undefined ? null : (starts[at] ?? null)),
      );
    }
  }
  return { samples, problems };
}

const SHORT_NAMES: Record<string, string> = {
  text_sample: "text",
  intent_label: "intent",
  confidence_threshold: "threshold",
};

function readJsonl(file: string): Read {
  const samples: TrainingInput[] = [];
  const problems = new LineProblems();
  for (const { line, text } of nonBlankLines(file)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      const pos = jsonSyntaxPosition(text, e);
      problems.add(new InputFileError(file, line, null, `invalid JSON: ${pos.message}`, pos.col));
      continue;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      problems.add(new InputFileError(file, line, null, "expected a JSON object", 1));
      continue;
    }
    const r = trainingFileRecord.safeParse(value);
    if (r.success) {
      samples.push(r.data);
      continue;
    }
    // Only a bad line is parsed again, for the columns of its fields. A problem with a value given
    // under a short name (threshold) is reported under that name, where it stands.
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
    const written = value as Record<string, unknown>;
    const issues = r.error.issues.map((issue) => {
      const [head, ...rest] = issue.path;
      const alias = typeof head === "string" ? SHORT_NAMES[head] : undefined;
      return alias !== undefined && !Object.hasOwn(written, head as string) && Object.hasOwn(written, alias)
        ? { ...issue, path: [alias, ...rest] }
        : issue;
    });
    problems.add(...issueProblems(file, { doc, lines, lineOffset: line - 1 }, trainingFileRecord, value, issues));
  }
  return { samples, problems };
}

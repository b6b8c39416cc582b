/**
 * The "Examples:" block of a command's --help. Each line is a complete command line a user can
 * paste (a trailing `# …` explains it); `verdict help` shows them after the options.
 */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}`;
}

/** The `ivr` group is made by whichever of its files registers first; both give it these. */
export const IVR_EXAMPLES = examples(
  "verdict ivr targets add demo --channel webhook --url http://127.0.0.1:5050/ivr",
  "verdict ivr run scenarios/balance.yaml --target demo",
);

export const RUNS_EXAMPLES = examples(
  "verdict runs import runs/run_20261120/",
  "verdict runs summary latest",
  'verdict runs gate latest --fail-on "pass_rate>=0.99"',
);

export const ROOT_EXAMPLES = examples(
  "verdict init --seed",
  "verdict runs summary seed-run-001",
  "verdict --json runs list | jq '.items[].id'",
  "verdict config show",
);

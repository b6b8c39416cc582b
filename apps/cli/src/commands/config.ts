import type { Command } from "commander";
import { type Setting, loadSettings, type Source, sourceText } from "../config-file.js";
import { globalsOf } from "../globals.js";
import { examples } from "../help.js";
import { color, printJson } from "../output.js";

/** A secret is shown as set or not, never its value. */
const secret = (v: string | undefined) => (v === undefined ? undefined : "(set)");

/**
 * `verdict config show`: every setting with its value and where it came from (a flag, the
 * environment, the config file, or the built-in default), and the config file's command defaults.
 */
export function registerConfigCommands(program: Command): void {
  const config = program
    .command("config")
    .description("the settings in force and where each comes from (flag > environment > config file > default)")
    .addHelpText("after", examples("verdict config show", "verdict config show --json"));
  config
    .command("show")
    .description("print each setting, its value and its source; secrets only as (set)")
    .addHelpText(
      "after",
      examples("verdict config show", "VERDICT_SERVER=http://127.0.0.1:4000 verdict config show --json"),
    )
    .action(async (_o: unknown, cmd: Command) => {
      const g = globalsOf(cmd);
      const s = await loadSettings();
      let root = cmd;
      while (root.parent) root = root.parent;
      const withFlag = (flag: string, attr: string, setting: Setting, value: string | undefined): Setting => ({
        value,
        source: root.getOptionValueSource(attr) === "cli" ? { kind: "flag", name: flag } : setting.source,
      });
      const rows: [string, Setting, boolean][] = [
        ["database", withFlag("--db", "db", s.database, g.db), false],
        ["database_auth_token", withFlag("--db-auth-token", "dbAuthToken", s.databaseAuthToken, g.dbAuthToken), true],
        ["server", withFlag("--server", "server", s.server, g.server), false],
        ["token", withFlag("--token", "token", s.token, g.token), true],
      ];
      const mode = g.server ? "remote" : "local";
      const json = (src: Source) =>
        src.kind === "flag" || src.kind === "env"
          ? { kind: src.kind, name: src.name }
          : src.kind === "file"
            ? { kind: "file", path: src.path }
            : { kind: "default" };
      if (g.json) {
        printJson({
          config_file: s.file,
          project_root: s.root,
          mode,
          settings: Object.fromEntries(
            rows.map(([k, v, isSecret]) => [
              k,
              { value: (isSecret ? secret(v.value) : v.value) ?? null, source: json(v.source) },
            ]),
          ),
          commands: s.config.commands ?? {},
        });
        return;
      }
      const width = Math.max(...rows.map(([k]) => k.length), "project_root".length);
      const line = (k: string, v: string, src: string) =>
        process.stdout.write(`${k.padEnd(width)}  ${v}${src ? `  ${color.dim(`(${src})`)}` : ""}\n`);
      line("config_file", s.file ?? "(none found)", "");
      line(
        "project_root",
        s.root,
        s.file ? "the config file's folder" : "nearest folder with data/, else the current one",
      );
      line("mode", mode, "");
      for (const [k, v, isSecret] of rows)
        line(k, (isSecret ? secret(v.value) : v.value) ?? "(not set)", sourceText(v.source));
      for (const [path, opts] of Object.entries(s.config.commands ?? {}))
        for (const [k, v] of Object.entries(opts))
          line(`${path} --${k}`, Array.isArray(v) ? v.join(", ") : String(v), s.file ?? "");
    });
}

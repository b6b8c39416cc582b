import { existsSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { Command } from "commander";
import { cosmiconfigSync } from "cosmiconfig";
import { type CliEnv, loadEnv } from "./config.js";
import { InputFileError } from "./errors.js";
import type { CliConfigFile } from "./config-file-schema.js";

/**
 * The config file: `verdict.config.json`, `verdict.config.yaml`/`.yml` or `.verdictrc` (YAML or JSON),
 * the nearest one found upwards from the current folder (then the user's config folder,
 * ~/.config/verdict/config.{json,yaml}). Found by cosmiconfig; read and checked by the CLI's own
 * input-file reader (zod, every problem as `file:line:col: field: problem`), loaded only when a file
 * is found, so `verdict --version` and `--help` load no zod and no database code.
 *
 * Precedence of every setting: flag > environment > config file > built-in default.
 */
export const CONFIG_FILE_NAMES = [
  "verdict.config.json",
  "verdict.config.yaml",
  "verdict.config.yml",
  ".verdictrc",
  ".verdictrc.json",
  ".verdictrc.yaml",
  ".verdictrc.yml",
] as const;

/** Where a setting's value came from. */
export type Source =
  | { kind: "flag"; name: string }
  | { kind: "env"; name: string }
  | { kind: "file"; path: string }
  | { kind: "default" };

export interface Setting {
  value: string | undefined;
  source: Source;
}

export interface Settings {
  /** The config file found, or null. */
  file: string | null;
  config: CliConfigFile;
  /** The project root: where the default database lives (see projectRoot). */
  root: string;
  database: Setting;
  databaseAuthToken: Setting;
  server: Setting;
  token: Setting;
}

/** The config file's reader (YAML, zod), loaded once a config file is found. */
let fileReader: typeof import("./config-file-schema.js") | undefined;

async function loadConfig(cwd: string): Promise<{ file: string | null; config: CliConfigFile }> {
  // Found here, read below: the loader only marks the file as there.
  const found = (filepath: string) => ({ filepath });
  const explorer = cosmiconfigSync("verdict", {
    searchPlaces: [...CONFIG_FILE_NAMES],
    searchStrategy: "global",
    stopDir: "/",
    loaders: { ".json": found, ".yaml": found, ".yml": found, noExt: found },
    cache: false,
  });
  let hit: ReturnType<typeof explorer.search>;
  try {
    hit = explorer.search(cwd);
  } catch (e) {
    // A folder on the way that this user may not read (another user's home, as for a service
    // account): no config file from there, as if it were not there.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EACCES" && code !== "EPERM") throw e;
    hit = null;
  }
  if (!hit) return { file: null, config: {} };
  if (hit.isEmpty) return { file: hit.filepath, config: {} };
  fileReader = await import("./config-file-schema.js");
  return { file: hit.filepath, config: fileReader.readConfigFile(hit.filepath) };
}

/**
 * The project root: the folder of the config file when there is one; else the nearest folder from the
 * current one upwards that has a `data/` folder; else the current folder. The default database is
 * `ROOT/data/verdict.db`, so `verdict runs list` from a subfolder finds the project's database.
 */
export function projectRoot(cwd: string, configFile: string | null): string {
  if (configFile) return dirname(configFile);
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const data = join(dir, "data");
    if (existsSync(data) && statSync(data).isDirectory()) return dir;
    if (dirname(dir) === dir) return resolve(cwd);
  }
}

/** A `file:` URL with a relative path, made absolute against `base`. */
function absoluteFileUrl(url: string, base: string): string {
  if (!url.startsWith("file:") || url.startsWith("file::memory:") || url.startsWith("file://")) return url;
  const rest = url.slice("file:".length);
  return isAbsolute(rest) ? url : `file:${join(base, rest)}`;
}

function pick(
  envName: string,
  envValue: string | undefined,
  file: string | null,
  fileValue: string | undefined,
  fallback?: string,
): Setting {
  if (envValue !== undefined) return { value: envValue, source: { kind: "env", name: envName } };
  if (fileValue !== undefined && file) return { value: fileValue, source: { kind: "file", path: file } };
  return { value: fallback, source: { kind: "default" } };
}

let cached: Settings | undefined;

/** Settings from the environment, the config file and the built-in defaults (flags come on top). */
export async function loadSettings(env: CliEnv = loadEnv(), cwd: string = process.cwd()): Promise<Settings> {
  if (cached) return cached;
  const { file, config } = await loadConfig(cwd);
  const root = projectRoot(cwd, file);
  const fileDir = file ? dirname(file) : root;
  cached = {
    file,
    config,
    root,
    database: pick(
      "VERDICT_DB_URL",
      env.dbUrl,
      file,
      config.database === undefined ? undefined : absoluteFileUrl(config.database, fileDir),
      `file:${join(root, "data", "verdict.db")}`,
    ),
    databaseAuthToken: pick("VERDICT_DB_AUTH_TOKEN", env.dbAuthToken, file, config.database_auth_token),
    server: pick("VERDICT_SERVER", env.server, file, config.server),
    token: pick("VERDICT_TOKEN", env.token, file, config.token),
  };
  return cached;
}

function problem(file: string, path: string[], message: string): InputFileError {
  // A file with settings was read by config-file-schema.ts, which also finds lines in it.
  const at = fileReader?.locateInFile(file, path) ?? { line: null, col: null };
  return new InputFileError(file, at.line, `commands.${path.slice(1).join(".")}`, message, at.col);
}

/** "runs list" for `verdict runs list`. */
export function commandPathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/**
 * Gives the running command the option defaults the config file sets for it, for each option not
 * given as a flag. An option the command does not have is an error naming the file and line.
 */
export function applyCommandDefaults(cmd: Command, settings: Settings): void {
  const path = commandPathOf(cmd);
  const defaults = settings.config.commands?.[path];
  if (!defaults || !settings.file) return;
  for (const [key, value] of Object.entries(defaults)) {
    const option = cmd.options.find((o) => o.long === `--${key}`);
    if (!option) {
      const known = cmd.options.map((o) => o.long?.slice(2)).filter(Boolean);
      throw problem(
        settings.file,
        ["commands", path, key],
        `verdict ${path} has no option --${key}${known.length ? ` (it has: ${known.join(", ")})` : ""}`,
      );
    }
    const name = option.attributeName();
    const source = cmd.getOptionValueSource(name);
    if (source === "cli" || source === "env") continue;
    const takesValue = option.required || option.optional;
    if (!takesValue && typeof value !== "boolean")
      throw problem(settings.file, ["commands", path, key], `--${key} is a switch: expected true or false`);
    if (takesValue && typeof value === "boolean")
      throw problem(settings.file, ["commands", path, key], `--${key} takes a value, not ${value}`);
    const v = Array.isArray(value) ? value : typeof value === "number" ? String(value) : value;
    cmd.setOptionValueWithSource(name, option.variadic && !Array.isArray(v) ? [v] : v, "config");
  }
}

/** A setting's source in words: `flag --db`, `env VERDICT_DB_URL`, the file's path, or `default`. */
export function sourceText(s: Source): string {
  switch (s.kind) {
    case "flag":
      return `flag ${s.name}`;
    case "env":
      return `env ${s.name}`;
    case "file":
      return s.path;
    default:
      return "default";
  }
}

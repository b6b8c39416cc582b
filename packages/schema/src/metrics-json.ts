/**
 * A JSON reader that remembers the line of every value, so a problem in a metrics file is reported as
 * `file:line: field: problem`. It also reads Python's `NaN`, `Infinity` and `-Infinity` (what `json.dump`
 * writes for such floats) so they can be refused with a message naming the field instead of a syntax error.
 */

export type JsonPath = (string | number)[];

export interface LocatedJson {
  value: unknown;
  /** 1-based line where the value at `path` starts (the nearest existing parent when the path is absent). */
  lineOf(path: readonly (string | number)[]): number;
}

export class JsonSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = "JsonSyntaxError";
  }
}

const pathKey = (path: readonly (string | number)[]) => path.map(String).join("\u0000");

export function parseLocatedJson(text: string): LocatedJson {
  const lines = new Map<string, number>();
  let i = 0;
  let line = 1;
  const fail = (message: string): never => {
    throw new JsonSyntaxError(line, message);
  };
  const skip = () => {
    for (;;) {
      const ch = text[i];
      if (ch === "\n") line++;
      if (ch === " " || ch === "\t" || ch === "\r" || ch === "\n" || ch === "\uFEFF") i++;
      else return;
    }
  };
  const literal = (word: string, value: unknown) => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return value;
    }
    return fail(`unexpected '${text[i] ?? "end of file"}'`);
  };
  const str = (): string => {
    let out = "";
    i++; // opening quote
    for (;;) {
      const ch = text[i];
      if (ch === undefined || ch === "\n") return fail("unterminated string");
      if (ch === '"') {
        i++;
        return out;
      }
      if (ch === "\\") {
        const esc = text[i + 1];
        const simple: Record<string, string> = {
          '"': '"',
          "\\": "\\",
          "/": "/",
          b: "\b",
          f: "\f",
          n: "\n",
          r: "\r",
          t: "\t",
        };
        if (esc !== undefined && esc in simple) {
          out += simple[esc];
          i += 2;
        } else if (esc === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else return fail("bad escape in string");
      } else {
        out += ch;
        i++;
      }
    }
  };
  const num = (): number => {
    const m = /^-?(?:Infinity|NaN|(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (!m) return fail(`unexpected '${text[i]}'`);
    i += m[0].length;
    if (m[0].endsWith("NaN")) return Number.NaN;
    if (m[0].endsWith("Infinity")) return m[0].startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    return Number(m[0]);
  };
  const value = (path: JsonPath): unknown => {
    skip();
    lines.set(pathKey(path), line);
    const ch = text[i];
    if (ch === "{") {
      i++;
      const obj: Record<string, unknown> = {};
      skip();
      if (text[i] === "}") {
        i++;
        return obj;
      }
      for (;;) {
        skip();
        if (text[i] !== '"') return fail("expected a key in double quotes");
        const key = str();
        if (Object.hasOwn(obj, key)) return fail(`duplicate key '${key}'`);
        skip();
        if (text[i] !== ":") return fail(`expected ':' after '${key}'`);
        i++;
        obj[key] = value([...path, key]);
        skip();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return obj;
        }
        return fail("expected ',' or '}'");
      }
    }
    if (ch === "[") {
      i++;
      const arr: unknown[] = [];
      skip();
      if (text[i] === "]") {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value([...path, arr.length]));
        skip();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return arr;
        }
        return fail("expected ',' or ']'");
      }
    }
    if (ch === '"') return str();
    if (ch === "t") return literal("true", true);
    if (ch === "f") return literal("false", false);
    if (ch === "n") return literal("null", null);
    if (ch === "N" || ch === "I") return num();
    if (ch === "-" || (ch !== undefined && ch >= "0" && ch <= "9")) return num();
    return fail(ch === undefined ? "unexpected end of file" : `unexpected '${ch}'`);
  };
  const root = value([]);
  skip();
  if (i < text.length) fail("unexpected text after the JSON value");
  return {
    value: root,
    lineOf(path) {
      for (let depth = path.length; depth >= 0; depth--) {
        const found = lines.get(pathKey(path.slice(0, depth)));
        if (found !== undefined) return found;
      }
      return 1;
    },
  };
}

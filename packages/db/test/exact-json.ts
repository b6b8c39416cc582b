/**
 * JSON values compared exactly, for the round-trip tests: JSON.parse would make 9007199254740993 and
 * 9007199254740992 equal, and -0.0 equal to 0. Here every number becomes `{ $num: "<sign><digits>e<exp>" }`,
 * its exact decimal value (so 30.0 = 30 = 3e1 but 2^53+1 ≠ 2^53 and -0.0 ≠ 0); objects are plain
 * objects (toEqual ignores key order), strings are decoded.
 */
export type Exact = null | boolean | string | { $num: string } | Exact[] | { [k: string]: Exact };

function canonicalNumber(t: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(t);
  if (!m) throw new Error(`not a JSON number: ${t}`);
  const sign = m[1] ?? "";
  let digits = `${m[2] ?? ""}${m[3] ?? ""}`;
  let exp = BigInt(m[4] ?? "0") - BigInt((m[3] ?? "").length);
  digits = digits.replace(/^0+/, "");
  if (digits === "") return `${sign}0`;
  while (digits.endsWith("0")) {
    digits = digits.slice(0, -1);
    exp += 1n;
  }
  return `${sign}${digits}e${exp}`;
}

export function parseExact(text: string): Exact {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  };
  const value = (): Exact => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const out: { [k: string]: Exact } = {};
      ws();
      if (text[i] === "}") {
        i++;
        return out;
      }
      for (;;) {
        ws();
        const k = value();
        if (typeof k !== "string") throw new Error(`key expected at ${i}`);
        ws();
        if (text[i++] !== ":") throw new Error(`: expected at ${i}`);
        out[k] = value();
        ws();
        const d = text[i++];
        if (d === "}") return out;
        if (d !== ",") throw new Error(`, expected at ${i}`);
      }
    }
    if (c === "[") {
      i++;
      const out: Exact[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return out;
      }
      for (;;) {
        out.push(value());
        ws();
        const d = text[i++];
        if (d === "]") return out;
        if (d !== ",") throw new Error(`, expected at ${i}`);
      }
    }
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const s = JSON.parse(text.slice(i, j + 1)) as string;
      i = j + 1;
      return s;
    }
    for (const [word, v] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    const m = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) throw new Error(`unexpected input at ${i}`);
    i += m[0].length;
    return { $num: canonicalNumber(m[0]) };
  };
  const v = value();
  ws();
  if (i !== text.length) throw new Error(`trailing input at ${i}`);
  return v;
}

/** A .json file's value, or a .jsonl file's values (blank lines skipped). */
export function parseExactFile(name: string, text: string): Exact {
  if (name.endsWith(".jsonl"))
    return text
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map(parseExact);
  return parseExact(text);
}

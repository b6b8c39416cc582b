/**
 * JSON as text: where a value sits in a line, and whitespace removal, without parsing numbers.
 * JSON.parse turns 9007199254740993 into …992 and -0.0 into 0; slicing the source text keeps every
 * value exactly as the producer wrote it.
 */

const isWs = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

function skipWs(text: string, i: number): number {
  while (i < text.length && isWs(text.charCodeAt(i))) i++;
  return i;
}

/** End (exclusive) of the string starting at the quote at `i`. */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === 92) j += 2;
    else if (c === 34) return j + 1;
    else j++;
  }
  return text.length;
}

/** End (exclusive) of the value starting at `i` (a valid JSON text is assumed: the caller parsed it). */
function valueEnd(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 34) return stringEnd(text, i);
  if (c === 123 || c === 91) {
    let depth = 0;
    let j = i;
    while (j < text.length) {
      const d = text.charCodeAt(j);
      if (d === 34) {
        j = stringEnd(text, j);
        continue;
      }
      if (d === 123 || d === 91) depth++;
      else if (d === 125 || d === 93) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    return text.length;
  }
  let j = i;
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (d === 44 || d === 125 || d === 93 || isWs(d)) break;
    j++;
  }
  return j;
}

/**
 * The source text of each top-level value of a JSON object text, by key (the last one wins for a
 * duplicate key, as in JSON.parse). Only for texts JSON.parse has accepted.
 */
export function topLevelValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = skipWs(text, 0);
  if (text.charCodeAt(i) !== 123) return out;
  i = skipWs(text, i + 1);
  while (i < text.length && text.charCodeAt(i) === 34) {
    const kEnd = stringEnd(text, i);
    const key = JSON.parse(text.slice(i, kEnd)) as string;
    i = skipWs(text, kEnd);
    i = skipWs(text, i + 1); // the colon
    const vEnd = valueEnd(text, i);
    out.set(key, text.slice(i, vEnd));
    i = skipWs(text, vEnd);
    if (text.charCodeAt(i) === 44) i = skipWs(text, i + 1);
  }
  return out;
}

/** The same JSON text without insignificant whitespace (numbers and strings untouched). */
export function minifyJson(text: string): string {
  let out = "";
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      i = stringEnd(text, i);
      continue;
    }
    if (isWs(c)) {
      out += text.slice(start, i);
      while (i < text.length && isWs(text.charCodeAt(i))) i++;
      start = i;
      continue;
    }
    i++;
  }
  return out + text.slice(start);
}

/** Python's `isoformat()` of a UTC time ends in +00:00; pydantic's JSON writes the same instant with Z. */
export function utcZ(iso: string | null): string | null {
  return iso?.endsWith("+00:00") ? `${iso.slice(0, -6)}Z` : iso;
}

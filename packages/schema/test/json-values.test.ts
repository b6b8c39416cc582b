/**
 * JSON value schemas (issue 9): any key is data and is kept (zod's record/catchall drop `__proto__`),
 * nothing is copied onto a prototype, and nesting past MAX_JSON_DEPTH is an issue naming the path
 * instead of a stack overflow.
 */
import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, jsonObject, jsonValue, numberMap, observation, runInput } from "../src/index.js";

const keys = () => JSON.parse('{"__proto__":{"a":1},"constructor":{"prototype":2},"prototype":[3]}') as unknown;

describe("JSON values", () => {
  it("keep __proto__, constructor and prototype as own keys, the same object back", () => {
    const input = keys();
    const out = jsonObject.parse(input);
    expect(out).toBe(input);
    expect(Object.keys(out)).toEqual(["__proto__", "constructor", "prototype"]);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(
      JSON.stringify(
        runInput.parse({ id: "r", started_at: "2026-01-01T00:00:00Z", sut_name: "s", config: keys() }).config,
      ),
    ).toBe(JSON.stringify(keys()));
    expect(Object.keys(numberMap.parse(JSON.parse('{"__proto__":1,"b":2}')))).toEqual(["__proto__", "b"]);
  });

  it("an observation keeps every key and still checks the named ones", () => {
    const obs = JSON.parse('{"ok":true,"__proto__":{"x":1},"body":{"prototype":1}}') as unknown;
    expect(Object.keys(observation.parse(obs))).toEqual(["ok", "__proto__", "body"]);
    const bad = observation.safeParse({ ok: "yes" });
    expect(bad.error?.issues[0]?.path).toEqual(["ok"]);
  });

  it("nesting past the limit is an issue at the path where it stops, even 100,000 deep", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    const r = jsonValue.safeParse(deep);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    expect(r.error?.issues[0]?.path).toHaveLength(MAX_JSON_DEPTH);
    let ok: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH; i++) ok = [ok];
    expect(jsonValue.safeParse(ok).success).toBe(true);
  });

  it("refuses what JSON cannot hold, naming the path", () => {
    for (const [v, path] of [
      [{ a: [1, Number.NaN] }, ["a", 1]],
      [{ a: new Date() }, ["a"]],
      [{ a: undefined }, ["a"]],
      [{ a: () => 1 }, ["a"]],
      [{ a: 1n }, ["a"]],
    ] as const) {
      expect(jsonValue.safeParse(v).error?.issues[0]?.path, String(path)).toEqual(path);
    }
    expect(jsonObject.safeParse([]).success).toBe(false);
  });
});

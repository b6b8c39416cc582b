/**
 * The wire transport on its own: whatever a procedure returns is encoded without throwing (so a
 * committed write is always answered), decodes back exactly (keys, Dates, special numbers, depth),
 * and a request's hostile envelope is a TransportError, never a prototype change.
 */
import { MAX_JSON_DEPTH } from "@verdict/schema";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { TransportError, deserialize, serialize, transformer } from "../src/transport.js";

const wire = (v: unknown) => JSON.parse(JSON.stringify(serialize(v))) as unknown;

describe("encoding answers", () => {
  it("round-trips prototype-named keys, Dates, undefined, NaN/Infinity and bigint exactly", () => {
    const value = JSON.parse('{"__proto__":{"a":[1,{"constructor":2}]},"prototype":null,"x.y":{"a\\\\b":3}}') as Record<
      string,
      unknown
    >;
    Object.defineProperty(value, "when", { value: new Date("2026-01-02T03:04:05.000Z"), enumerable: true });
    Object.defineProperty(value, "nums", {
      value: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, undefined, 7n],
      enumerable: true,
    });
    const back = transformer.output.deserialize(wire(value)) as Record<string, unknown>;
    expect(Object.keys(back)).toEqual(["__proto__", "prototype", "x.y", "when", "nums"]);
    expect(JSON.stringify(Object.getOwnPropertyDescriptor(back, "__proto__")?.value)).toBe(
      '{"a":[1,{"constructor":2}]}',
    );
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(back.when).toEqual(new Date("2026-01-02T03:04:05.000Z"));
    expect(back.nums).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, undefined, 7n]);
    expect(back["x.y"]).toEqual({ "a\\b": 3 });
  });

  it("a value nested 100,000 deep is encoded (as JSON text past 512 levels) and decoded back", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 100_000; i++) deep = i % 2 ? { k: deep } : [deep];
    const back = transformer.output.deserialize(wire({ deep }));
    let cur = (back as { deep: unknown }).deep;
    let levels = 0;
    while (cur !== null && typeof cur === "object") {
      cur = Array.isArray(cur) ? cur[0] : (cur as { k: unknown }).k;
      levels++;
    }
    expect(levels).toBe(100_000);
    expect(cur).toBe("leaf");
  });

  it("stays readable by superjson itself for ordinary values (same envelope)", () => {
    const v = { a: new Date(0), b: [1, undefined], c: Number.NaN, d: { "e.f": "g" } };
    expect(superjson.deserialize(wire(v) as Parameters<typeof superjson.deserialize>[0])).toEqual(v);
    expect(deserialize(JSON.parse(JSON.stringify(superjson.serialize(v))))).toEqual(v);
  });
});

describe("decoding requests", () => {
  const bad: [string, unknown][] = [
    ["an extra key", { json: 1, other: 2 }],
    ["a class annotation", { json: { a: 1 }, meta: { values: { a: ["class", "X"] } } }],
    ["a path through __proto__", { json: {}, meta: { values: { "__proto__.polluted": ["Date"] } } }],
    ["a path through constructor", { json: {}, meta: { values: { "constructor.prototype.polluted": ["undefined"] } } }],
    ["a bad Date", { json: { a: "soon" }, meta: { values: { a: ["Date"] } } }],
    ["a bad number", { json: { a: "1" }, meta: { values: { a: ["number"] } } }],
    ["meta not an object", { json: {}, meta: 5 }],
    ["too deep", { json: JSON.parse(`${"[".repeat(MAX_JSON_DEPTH + 1)}${"]".repeat(MAX_JSON_DEPTH + 1)}`) }],
  ];
  for (const [what, payload] of bad) {
    it(`refuses ${what} with a TransportError`, () => {
      expect(() => transformer.input.deserialize(JSON.parse(JSON.stringify(payload)))).toThrow(TransportError);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }

  it("reads any value that is not an object with a json key as plain JSON input", () => {
    for (const plain of ["x", [1], 7, true, { run_id: "r" }, { meta: 1 }])
      expect(transformer.input.deserialize(JSON.parse(JSON.stringify(plain)))).toEqual(plain);
    expect(transformer.input.deserialize(JSON.parse('{"__proto__":{"polluted":1}}'))).toHaveProperty("__proto__");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const deep = JSON.parse(`${"[".repeat(MAX_JSON_DEPTH + 1)}${"]".repeat(MAX_JSON_DEPTH + 1)}`);
    expect(() => transformer.input.deserialize(deep)).toThrow(TransportError);
  });

  it("still reads answers strictly as envelopes", () => {
    expect(() => transformer.output.deserialize("x")).toThrow(TransportError);
  });

  it("accepts a value exactly at the depth limit", () => {
    const text = `${"[".repeat(MAX_JSON_DEPTH)}${"]".repeat(MAX_JSON_DEPTH)}`;
    expect(() => transformer.input.deserialize({ json: JSON.parse(text) })).not.toThrow();
  });
});

/** decodeCursor (issue 9): a cursor the server did not issue is a ValidationError on `cursor`, whatever it holds. */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../src/errors.js";
import { decodeCursor, encodeCursor } from "../src/queries/common.js";

const raw = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

describe("decodeCursor", () => {
  it("gives back what encodeCursor wrote, typed per position", () => {
    expect(decodeCursor(encodeCursor(["2026-01-01T00:00:00Z", "run-1"]), ["string", "string"])).toEqual([
      "2026-01-01T00:00:00Z",
      "run-1",
    ]);
    expect(decodeCursor(encodeCursor(["t", 42]), ["string", "int"])).toEqual(["t", 42]);
  });

  it("refuses wrong length, wrong element types and non-JSON with a ValidationError on cursor", () => {
    const forged = [
      "%%%",
      raw("x"),
      raw({}),
      raw([]),
      raw(["a"]),
      raw([1, 2]),
      raw([{}, []]),
      raw([null, "a"]),
      raw(["a", 1.5]),
      raw(["a", "1"]),
    ];
    for (const c of forged) {
      let thrown: unknown;
      try {
        decodeCursor(c, ["string", "int"]);
      } catch (e) {
        thrown = e;
      }
      expect(thrown, c).toBeInstanceOf(ValidationError);
      expect((thrown as ValidationError).target).toBe("cursor");
    }
  });
});

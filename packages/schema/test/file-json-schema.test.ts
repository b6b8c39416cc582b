import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  FILE_SCHEMA_NAMES,
  benchmarkRunInput,
  fileJsonSchema,
  httpScenario,
  scenarioInput,
  stepDefinition,
  thresholdsFile,
} from "@verdict/schema";

/** The JSON Schemas committed under schemas/ are what the zod schemas generate: they never drift. */
const SCHEMAS_DIR = new URL("../../../schemas/", import.meta.url);

describe("JSON Schema of hand-written files", () => {
  it("schemas/ holds exactly one file per kind", () => {
    const files = readdirSync(SCHEMAS_DIR).filter((f) => f.endsWith(".schema.json"));
    expect(files.sort()).toEqual(FILE_SCHEMA_NAMES.map((n) => `${n}.schema.json`).sort());
  });

  it.each(FILE_SCHEMA_NAMES)("schemas/%s.schema.json equals what the code generates", (name) => {
    const committed = JSON.parse(readFileSync(new URL(`${name}.schema.json`, SCHEMAS_DIR), "utf8"));
    expect(committed).toEqual(fileJsonSchema(name));
  });

  it.each([
    ["ivr-scenario", scenarioInput],
    ["http-scenario", httpScenario],
    ["metrics-run", benchmarkRunInput],
    ["metrics-thresholds", thresholdsFile],
  ] as const)("%s: the same keys as the zod schema, strict like it", (name, schema) => {
    const json = fileJsonSchema(name) as { properties: Record<string, unknown>; additionalProperties: unknown };
    expect(Object.keys(json.properties).sort()).toEqual(Object.keys(schema.shape).sort());
    expect(json.additionalProperties).toBe(false);
  });

  it("ivr-scenario: every step type is offered", () => {
    const text = JSON.stringify(fileJsonSchema("ivr-scenario"));
    for (const option of stepDefinition.options) expect(text).toContain(`"const":"${option.shape.type.value}"`);
  });

  it("metrics-run: JSON fields checked without copying still have a JSON Schema (not 'anything')", () => {
    const json = fileJsonSchema("metrics-run") as {
      properties: { metadata: { type: string }; performance: { properties: { phase_times: object } } };
    };
    expect(json.properties.metadata.type).toBe("object");
    expect(json.properties.performance.properties.phase_times).toMatchObject({
      type: "object",
      additionalProperties: { type: "number", minimum: 0 },
    });
  });

  it("training-record: text or text_sample, intent or intent_label, nothing else", () => {
    const json = fileJsonSchema("training-record") as {
      properties: Record<string, unknown>;
      additionalProperties: unknown;
      allOf: unknown[];
    };
    expect(Object.keys(json.properties)).toEqual(
      expect.arrayContaining(["text", "text_sample", "intent", "threshold"]),
    );
    expect(json.additionalProperties).toBe(false);
    expect(json.allOf).toContainEqual({ anyOf: [{ required: ["text_sample"] }, { required: ["text"] }] });
  });
});

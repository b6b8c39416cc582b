/**
 * The REST surface for everyone else: /api/openapi.json is a valid OpenAPI 3.1 document (checked
 * with a JSON Schema validator of the specification), and its operations answer plain HTTP calls as
 * curl would make them, and calls from a Python client generated from the document at run time
 * (standard library only). The answers equal what the typed tRPC client gets for the same question.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { type RunningServer, createVerdictClient, startServer } from "@verdict/api";
import { SEED_RUN_ID, type VerdictDb, createToken, openDatabase, seed } from "@verdict/db";
import { tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const dir = tempDir("verdict-openapi-");
let db: VerdictDb;
let server: RunningServer;
let admin = "";
let reader = "";

beforeAll(async () => {
  db = await openDatabase({ url: `file:${dir.file("o.db")}`, migrate: true });
  await seed(db);
  admin = (await createToken(db, "admin", "admin")).token;
  reader = (await createToken(db, "reader", "read")).token;
  server = await startServer({ db, port: 0, log: () => {} });
});
afterAll(async () => {
  await server.close();
  dir.cleanup();
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(method: string, path: string, opts: { token?: string; body?: string; type?: string } = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(opts.token === undefined
        ? { authorization: `Bearer ${admin}` }
        : opts.token
          ? { authorization: `Bearer ${opts.token}` }
          : {}),
      ...(opts.body === undefined ? {} : { "content-type": opts.type ?? "application/json" }),
    },
    ...(opts.body === undefined ? {} : { body: opts.body }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> } satisfies Answer;
}

describe("the OpenAPI document", () => {
  it("validates against the OpenAPI 3.1 schema and lists the read and main write operations", async () => {
    const res = await call("GET", "/api/openapi.json", { token: "" });
    expect(res.status).toBe(200);
    const validator = new Validator();
    const result = await validator.validate(res.body as Parameters<Validator["validate"]>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    const doc = res.body as {
      paths: Record<string, Record<string, { operationId: string }>>;
      servers: { url: string }[];
    };
    expect(doc.servers[0]?.url).toBe(`${server.url}/api/v1`);
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId));
    for (const id of [
      "runsList",
      "runsGet",
      "runsSummary",
      "runsInstances",
      "runsInstance",
      "runsGate",
      "runsCreate",
      "metricsList",
      "metricsGet",
      "metricsRecord",
      "metricsTrend",
    ])
      expect(ops).toContain(id);
  });
});

describe("plain HTTP calls (as curl makes them)", () => {
  it("GET answers the same as the typed client", async () => {
    const typed = createVerdictClient({ url: server.url, token: admin });
    const summary = await call("GET", `/api/v1/runs/${SEED_RUN_ID}/summary`);
    expect(summary.status).toBe(200);
    expect(summary.body).toEqual(JSON.parse(JSON.stringify(await typed.runs.summary.query({ run_id: SEED_RUN_ID }))));
    const list = await call("GET", "/api/v1/runs?limit=1");
    expect(list.status).toBe(200);
    const typedList = await typed.runs.list.query({ limit: 1 });
    expect(list.body).toEqual(
      JSON.parse(JSON.stringify({ items: typedList.items, next_cursor: typedList.nextCursor })),
    );
    const failed = await call("GET", `/api/v1/runs/${SEED_RUN_ID}/instances?status=fail&with_total=true`);
    const typedFailed = await typed.runs.instances.query.query({
      run_id: SEED_RUN_ID,
      status: "fail",
      with_total: true,
    });
    expect(failed.body.total).toBe(typedFailed.total);
    expect((failed.body.items as unknown[]).length).toBe(typedFailed.items.length);
  });

  it("client mistakes are 4xx naming the field, never a 500", async () => {
    const bad = await call("GET", "/api/v1/runs?limit=abc");
    expect(bad.status).toBe(400);
    expect((bad.body.data as { field: string }).field).toBe("limit");
    expect((await call("GET", "/api/v1/runs/nope")).status).toBe(404);
    const malformed = await call("POST", "/api/v1/runs", { body: "{bad" });
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toMatch(/^body: malformed JSON/);
    expect((await call("POST", "/api/v1/runs", { body: "x", type: "text/plain" })).status).toBe(415);
    const invalid = await call("POST", "/api/v1/runs", {
      body: JSON.stringify({ id: "a b", started_at: "2026-12-01T00:00:00Z", sut_name: "s" }),
    });
    expect(invalid.status).toBe(400);
    expect((invalid.body.data as { field: string }).field).toBe("id");
    expect((await call("GET", "/api/v1/runs", { token: "" })).status).toBe(401);
    const readOnly = await call("POST", "/api/v1/runs", {
      token: reader,
      body: JSON.stringify({ id: "ro", started_at: "2026-12-01T00:00:00Z", sut_name: "s" }),
    });
    expect(readOnly.status).toBe(403);
    expect((await call("GET", "/api/v1/nothing-here")).status).toBe(404);
  });
});

describe("a Python client generated from the document", () => {
  it("lists, reads, writes and reads back through the REST surface", async () => {
    const script = [
      ["runsList", { limit: 5 }],
      ["runsGet", { run_id: SEED_RUN_ID }],
      [
        "runsCreate",
        { id: "from-python", started_at: "2026-12-02T00:00:00Z", sut_name: "ivr-bank", scenario_ids: ["balance"] },
      ],
      ["runsGet", { run_id: "from-python" }],
      ["runsGate", { run_id: SEED_RUN_ID, fail_on: "pass_rate>=0.5,p95_latency_ms<100000" }],
      ["runsGet", { run_id: "missing" }],
    ];
    // Asynchronously: the server runs in this process and must keep answering while Python calls it.
    const py = await promisify(execFile)(
      "python3",
      [join(import.meta.dirname, "fixtures", "openapi_client.py"), server.url, admin, JSON.stringify(script)],
      { encoding: "utf8", timeout: 60_000 },
    );
    const answers = JSON.parse(py.stdout) as Answer[];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 404]);
    expect(answers[1]?.body.id).toBe(SEED_RUN_ID);
    expect(answers[3]?.body).toMatchObject({ id: "from-python", sut_name: "ivr-bank", scenario_ids: ["balance"] });
    const typed = createVerdictClient({ url: server.url, token: admin });
    expect(await typed.runs.get.query({ run_id: "from-python" })).toMatchObject({ id: "from-python" });
    expect(answers[4]?.body).toEqual(
      JSON.parse(
        JSON.stringify(
          await typed.runs.gate.query({ run_id: SEED_RUN_ID, fail_on: ["pass_rate>=0.5", "p95_latency_ms<100000"] }),
        ),
      ),
    );
  });
});

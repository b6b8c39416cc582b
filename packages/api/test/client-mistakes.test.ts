/**
 * Issue 9, defect 5: client mistakes are 4xx naming what is wrong, never 500. Raw HTTP against a
 * real server on a libSQL file: malformed bodies and query inputs, JSON nested 5,000 deep, hostile
 * superjson `meta`, forged cursors, a wrong content type, a chunked body over the limit. A real
 * fault (a table gone) answers 500 with a generic message and the request id, and the log has it all;
 * storage faults map to 503 without SQL text.
 */
import { TRPCError } from "@trpc/server";
import { type LogEntry, type RunningServer, createLocalClient, startServer, toTRPCError } from "@verdict/api";
import { StorageError, type VerdictDb, createToken, openDatabase, seed } from "@verdict/db";
import { MAX_JSON_DEPTH } from "@verdict/schema";
import { tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const dir = tempDir("verdict-mistakes-");
let db: VerdictDb;
let server: RunningServer;
let token = "";
const logs: LogEntry[] = [];

beforeAll(async () => {
  db = await openDatabase({ url: `file:${dir.file("m.db")}`, migrate: true });
  await seed(db);
  token = (await createToken(db, "admin", "admin")).token;
  server = await startServer({ db, port: 0, log: (e) => logs.push(e), bodyLimitBytes: 64 * 1024 });
});
afterAll(async () => {
  await server.close();
  dir.cleanup();
});

interface Answer {
  status: number;
  code: string | undefined;
  message: string;
  field: string | null | undefined;
  requestId: string | null;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep null
  }
  const first = Array.isArray(body) ? body[0] : body;
  const err = (first as { error?: { json?: { message?: string; data?: { code?: string; field?: string | null } } } })
    ?.error?.json;
  return {
    status: res.status,
    code: err?.data?.code,
    message: err?.message ?? text,
    field: err?.data?.field,
    requestId: res.headers.get("x-request-id"),
  };
}

function post(path: string, body: string, contentType = "application/json"): Promise<Answer> {
  return fetch(`${server.url}/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": contentType, authorization: `Bearer ${token}` },
    body,
  }).then(answer);
}

function get(path: string, input: string): Promise<Answer> {
  return fetch(`${server.url}/trpc/${path}?input=${encodeURIComponent(input)}`, {
    headers: { authorization: `Bearer ${token}` },
  }).then(answer);
}

const nested = (depth: number, leaf = "1") => `${"[".repeat(depth)}${leaf}${"]".repeat(depth)}`;
const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("malformed input is 400", () => {
  it("a malformed JSON body, batched or not, names the body", async () => {
    for (const body of ["{{{", '{"json":', "nul", '{"0":{"json":{"name":"x",}}}']) {
      const single = await post("admin.tokens.create", body);
      expect(single.status, body).toBe(400);
      expect(single.code).toBe("BAD_REQUEST");
      expect(single.field).toBe("body");
      expect(single.message).toMatch(/^body: malformed JSON/);
      const batch = await post("admin.tokens.create,ivr.training.add?batch=1", body);
      expect(batch.status, body).toBe(400);
    }
  });

  it("a malformed query input names the input", async () => {
    const a = await get("runs.list", "{not json");
    expect(a.status).toBe(400);
    expect(a.field).toBe("input");
    expect(a.message).toMatch(/^input: malformed JSON/);
  });

  it("JSON nested 5,000 deep (body) or 1,000 deep (query) is 400, not a stack overflow", async () => {
    const deepBody = await post("runs.create", `{"json":{"id":"r","config":{"a":${nested(5000)}}}}`);
    expect(deepBody.status).toBe(400);
    expect(deepBody.message).toContain(`deeper than ${MAX_JSON_DEPTH} levels`);
    const deepGet = await get("runs.list", `{"json":{"sut_name":${nested(1000, '"x"')}}}`);
    expect(deepGet.status).toBe(400);
    // Just over the limit inside a value: refused by the decoder, naming the input.
    const justOver = await post(
      "runs.create",
      `{"json":{"id":"r","started_at":"2026-01-01T00:00:00Z","sut_name":"s","config":{"a":${nested(MAX_JSON_DEPTH)}}}}`,
    );
    expect(justOver.status).toBe(400);
    expect(justOver.message).toContain("deeper than");
  });

  it("a value at the limit is accepted", async () => {
    const ok = await post(
      "runs.create",
      `{"json":{"id":"r-deep","started_at":"2026-01-01T00:00:00Z","sut_name":"s","config":{"a":${nested(MAX_JSON_DEPTH - 3)}}}}`,
    );
    expect(ok.status).toBe(200);
  });
});

describe("hostile superjson meta is 400", () => {
  const base = '{"name":"t-meta","scope":"read"}';
  const cases: [string, string][] = [
    ["a class annotation", `{"json":${base},"meta":{"values":{"name":["class","Foo"]}}}`],
    ["a custom transformer", `{"json":${base},"meta":{"values":{"name":["custom","x"]}}}`],
    ["a path into the prototype", `{"json":${base},"meta":{"values":{"__proto__.polluted":["Date"]}}}`],
    ["a constructor path", `{"json":${base},"meta":{"values":{"constructor.prototype.polluted":["undefined"]}}}`],
    ["a path that does not exist", `{"json":${base},"meta":{"values":{"a.b.c":["Date"]}}}`],
    ["meta that is a string", `{"json":${base},"meta":"values"}`],
    ["values that are a number", `{"json":${base},"meta":{"values":7}}`],
    ["a Date that is not a date", `{"json":${base},"meta":{"values":{"name":["Date"]}}}`],
    ["a map annotation", `{"json":${base},"meta":{"values":{"name":["map"]}}}`],
    ["an unknown envelope key", `{"json":${base},"extra":1}`],
    ["a bigint that is not a number", `{"json":${base},"meta":{"values":{"name":["bigint"]}}}`],
  ];
  for (const [what, body] of cases) {
    it(what, async () => {
      const a = await post("admin.tokens.create", body);
      expect(a.status, a.message).toBe(400);
      expect(a.code).toBe("BAD_REQUEST");
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }
  it("NaN and Infinity through meta are refused by the schema, naming the field", async () => {
    for (const n of ["NaN", "Infinity", "-Infinity"]) {
      const a = await get("ivr.training.list", `{"json":{"limit":"${n}"},"meta":{"values":{"limit":["number"]}}}`);
      expect(a.status, n).toBe(400);
      expect(a.field).toBe("limit");
    }
  });
});

describe("forged cursors are 400 naming cursor", () => {
  const forged = [
    "!!!",
    cursor("x"),
    cursor([]),
    cursor([{}, []]),
    cursor([1, 2]),
    cursor([null, null]),
    cursor(["a", "b", "c"]),
    cursor([[["deep"]]]),
    cursor([1.5]),
    cursor(["1"]),
  ];
  const lists = [
    "runs.list",
    "runs.instances.query",
    "runs.steps.query",
    "runs.assertions.query",
    "metrics.list",
    "ivr.scenarios.list",
    "ivr.executions.list",
    "ivr.training.list",
    "queue.list",
  ];
  it("on every list procedure", async () => {
    let tried = 0;
    for (const path of lists) {
      for (const c of forged) {
        const input = path.startsWith("runs.") && path !== "runs.list" ? { run_id: "x", cursor: c } : { cursor: c };
        const a = await get(path, JSON.stringify({ json: input }));
        // A cursor that happens to have the right shape for this list is a valid (empty) page.
        if (a.status === 200) continue;
        expect(a.status, `${path} ${c}`).toBe(400);
        expect(a.field, `${path} ${c}`).toBe("cursor");
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(lists.length * 6);
  });
});

describe("content type and size", () => {
  it("a POST that is not application/json is 415", async () => {
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "application/octet-stream",
      "multipart/form-data; boundary=x",
    ]) {
      const a = await post("admin.tokens.create", '{"json":{"name":"ct","scope":"read"}}', type);
      expect(a.status, type).toBe(415);
      expect(a.field).toBe("content-type");
    }
  });

  it("a chunked body over the limit is 413 (no content-length to go by)", async () => {
    const big = `{"json":{"text_sample":"${"x".repeat(100_000)}","intent_label":"y"}}`;
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const res = await fetch(`${server.url}/trpc/ivr.training.add`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: stream,
      duplex: "half",
    } as RequestInit);
    const chunked = await answer(res);
    expect(chunked.status).toBe(413);
    expect(chunked.code).toBe("PAYLOAD_TOO_LARGE");
    expect(chunked.field).toBe("body");
    // With a content-length the server refuses before reading, in the same shape.
    const declared = await post("ivr.training.add", big);
    expect(declared.status).toBe(413);
    expect(declared.code).toBe("PAYLOAD_TOO_LARGE");
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

describe("real faults", () => {
  it("an unknown error is 500 with a generic message and the request id; the log has the cause", async () => {
    const other = await openDatabase({ url: `file:${dir.file("broken.db")}`, migrate: true });
    const t = (await createToken(other, "a", "admin")).token;
    await other.client.execute("DROP TABLE intent_training_data");
    const broken = await startServer({ db: other, port: 0, log: (e) => logs.push(e) });
    try {
      const res = await fetch(`${broken.url}/trpc/ivr.training.list?input=${encodeURIComponent('{"json":{}}')}`, {
        headers: { authorization: `Bearer ${t}`, "x-request-id": "req-fault-1" },
      });
      const a = await answer(res);
      expect(a.status).toBe(500);
      expect(a.message).toBe("internal server error (request id req-fault-1); the server log has the details");
      expect(a.message).not.toMatch(/select|training_data|from/i);
      const logged = logs.find((l) => l.msg === "procedure failed" && l.request_id === "req-fault-1");
      expect(String(logged?.error)).toMatch(/intent_training_data/);
      // In-process (the CLI's local mode) the user is the operator: the cause is shown.
      await expect(createLocalClient(other).ivr.training.list.query({})).rejects.toThrow(/intent_training_data/);
    } finally {
      await broken.close();
    }
  });

  it("a storage fault is SERVICE_UNAVAILABLE (503); SQL text in its message never reaches the client", () => {
    const plain = toTRPCError(new StorageError("disk_full", "/data/v.db", "/data/v.db: disk full (SQLITE_FULL)"));
    expect(plain.code).toBe("SERVICE_UNAVAILABLE");
    expect(plain.message).toBe("/data/v.db: disk full (SQLITE_FULL)");
    const leaky = toTRPCError(
      new StorageError("busy", "/data/v.db", "Failed query: insert into runs (id) values (?) params: secret-id"),
    );
    expect(leaky.code).toBe("SERVICE_UNAVAILABLE");
    expect(leaky.message).not.toMatch(/insert|secret-id|params/);
    const wrapped = toTRPCError(
      new TRPCError({
        code: "INTERNAL_SERVER_ERROR",
        cause: new StorageError("unreachable", "http://db:8080", "cannot reach http://db:8080"),
      }),
    );
    expect(wrapped.code).toBe("SERVICE_UNAVAILABLE");
  });

  it("the server is still up", async () => {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

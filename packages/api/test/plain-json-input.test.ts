/**
 * Non-TypeScript clients: a procedure's input may be plain JSON (`?input={"run_id":"x"}`, or the
 * body of a POST), no superjson envelope. An object with a `json` key is still an envelope, read
 * strictly. Plain `fetch` against a real server on a libSQL file, as curl or Python would call it.
 */
import { type RunningServer, createVerdictClient, startServer } from "@verdict/api";
import { SEED_RUN_ID, type VerdictDb, createToken, openDatabase, seed } from "@verdict/db";
import { MAX_JSON_DEPTH } from "@verdict/schema";
import { tempDir } from "@verdict/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const dir = tempDir("verdict-plain-input-");
let db: VerdictDb;
let server: RunningServer;
let token = "";

beforeAll(async () => {
  db = await openDatabase({ url: `file:${dir.file("p.db")}`, migrate: true });
  await seed(db);
  token = (await createToken(db, "admin", "admin")).token;
  server = await startServer({ db, port: 0, log: () => {} });
});
afterAll(async () => {
  await server.close();
  dir.cleanup();
});

interface Body {
  result?: { data?: { json?: unknown } };
  error?: { json?: { message?: string; data?: { code?: string; field?: string | null } } };
}

async function get(path: string, input: string): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${server.url}/trpc/${path}?input=${encodeURIComponent(input)}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as Body };
}

async function post(path: string, body: string): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${server.url}/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body,
  });
  return { status: res.status, body: (await res.json()) as Body };
}

describe("plain JSON input", () => {
  it("GET ?input= plain JSON answers the same as the envelope", async () => {
    const plain = await get("runs.get", JSON.stringify({ run_id: SEED_RUN_ID }));
    expect(plain.status).toBe(200);
    expect(plain.body.result?.data?.json).toMatchObject({ id: SEED_RUN_ID });
    const envelope = await get("runs.get", JSON.stringify({ json: { run_id: SEED_RUN_ID } }));
    expect(envelope.status).toBe(200);
    expect(plain.body.result?.data?.json).toEqual(envelope.body.result?.data?.json);
  });

  it("POST with a plain JSON body writes once, and the typed client reads it back", async () => {
    const text = "plain json from another language";
    const r = await post("ivr.training.add", JSON.stringify({ text_sample: text, intent_label: "plain_input" }));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const client = createVerdictClient({ url: server.url, token });
    const page = await client.ivr.training.list.query({ intent_label: "plain_input" });
    expect(page.items.map((s) => s.text_sample)).toEqual([text]);
  });

  it("a plain input the schema refuses is a 400 naming the field", async () => {
    const r = await get("ivr.training.list", JSON.stringify({ limit: "many" }));
    expect(r.status).toBe(400);
    expect(r.body.error?.json?.data?.field).toBe("limit");
  });

  it("an object with a json key is an envelope, read strictly", async () => {
    const r = await get("runs.get", JSON.stringify({ json: { run_id: SEED_RUN_ID }, run_id: SEED_RUN_ID }));
    expect(r.status).toBe(400);
    expect(r.body.error?.json?.message).toContain("unknown envelope key 'run_id'");
  });

  it("plain input deeper than the limit is a 400", async () => {
    const deep = `${"[".repeat(MAX_JSON_DEPTH + 1)}${"]".repeat(MAX_JSON_DEPTH + 1)}`;
    const r = await post("ivr.training.add", `{"text_sample":${deep},"intent_label":"deep"}`);
    expect(r.status).toBe(400);
    expect(r.body.error?.json?.message).toContain(`deeper than ${MAX_JSON_DEPTH} levels`);
    expect((await get("runs.get", `{"run_id":${deep}}`)).status).toBe(400);
  });
});

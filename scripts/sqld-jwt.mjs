#!/usr/bin/env node
// Keys and tokens for a libSQL server (sqld) started with JWT auth, with node:crypto only.
//
//   node scripts/sqld-jwt.mjs keygen --private-key FILE
//       new Ed25519 key pair: the private key goes to FILE (PEM, mode 600, never overwritten);
//       prints SQLD_AUTH_JWT_KEY=<public key, URL-safe base64> for sqld (env or --auth-jwt-key-file).
//   node scripts/sqld-jwt.mjs token --private-key FILE [--days N] [--read-only]
//       prints a JWT for VERDICT_DB_AUTH_TOKEN (default: read-write, expires in 365 days).
import { createPrivateKey, generateKeyPairSync, sign } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}

const [command, ...rest] = process.argv.slice(2);
const opts = {};
for (let i = 0; i < rest.length; i++) {
  const arg = rest[i];
  if (arg === "--read-only") opts.readOnly = true;
  else if (arg === "--private-key" || arg === "--days") {
    const value = rest[++i];
    if (value === undefined) fail(`${arg} needs a value`);
    opts[arg.slice(2)] = value;
  } else fail(`unknown argument '${arg}' (see the header of scripts/sqld-jwt.mjs)`);
}
if (!opts["private-key"]) fail("--private-key FILE is required");
const keyFile = opts["private-key"];

if (command === "keygen") {
  if (existsSync(keyFile)) fail(`${keyFile} already exists; refusing to overwrite a key`);
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  writeFileSync(keyFile, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
  process.stdout.write(`SQLD_AUTH_JWT_KEY=${publicKey.export({ format: "jwk" }).x}\n`);
} else if (command === "token") {
  let privateKey;
  try {
    privateKey = createPrivateKey(readFileSync(keyFile));
  } catch (e) {
    fail(`cannot read an Ed25519 private key from ${keyFile}: ${e instanceof Error ? e.message : e}`);
  }
  if (privateKey.asymmetricKeyType !== "ed25519") fail(`${keyFile} is not an Ed25519 key`);
  const days = Number(opts.days ?? 365);
  if (!Number.isFinite(days) || days <= 0) fail(`--days: expected a positive number, got '${opts.days}'`);
  const claims = { iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000 + days * 86_400) };
  if (opts.readOnly) claims.a = "ro";
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${b64({ alg: "EdDSA", typ: "JWT" })}.${b64(claims)}`;
  const signature = sign(null, Buffer.from(input), privateKey).toString("base64url");
  process.stdout.write(`${input}.${signature}\n`);
} else {
  fail("usage: node scripts/sqld-jwt.mjs keygen|token --private-key FILE [--days N] [--read-only]");
}

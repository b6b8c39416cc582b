import { type KeyObject, generateKeyPairSync, sign } from "node:crypto";
import { writeFileSync } from "node:fs";

export interface Ed25519Keys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public key as PEM (SPKI, "BEGIN PUBLIC KEY"), one of the two forms sqld's --auth-jwt-key-file takes. */
  publicKeyPem: string;
  /** The raw 32 public-key bytes in URL-safe base64, the other form sqld takes. */
  publicKeyBase64Url: string;
}

/** A fresh Ed25519 key pair for signing libSQL/Turso-style JWTs (node:crypto only). */
export function makeEd25519Keys(): Ed25519Keys {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const jwk = publicKey.export({ format: "jwk" });
  if (typeof jwk.x !== "string") throw new Error("node:crypto returned an Ed25519 JWK without its x coordinate");
  return {
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
    publicKeyBase64Url: jwk.x,
  };
}

export type JwtClaims = Record<string, string | number | boolean | null | string[]>;

const b64url = (text: string) => Buffer.from(text, "utf8").toString("base64url");

/**
 * A compact JWS signed with EdDSA. sqld accepts any token its key verifies; claims it reads include
 * `exp` (seconds since the epoch) and `a` ("rw" or "ro" access).
 */
export function signJwt(privateKey: KeyObject, claims: JwtClaims = {}): string {
  const signingInput = `${b64url(JSON.stringify({ alg: "EdDSA", typ: "JWT" }))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign(null, Buffer.from(signingInput, "utf8"), privateKey).toString("base64url");
  return `${signingInput}.${signature}`;
}

/** Writes the public key where `sqld --auth-jwt-key-file` can read it, in either accepted form. */
export function writeJwtKeyFile(path: string, keys: Ed25519Keys, format: "pem" | "base64url" = "pem"): string {
  writeFileSync(path, format === "pem" ? keys.publicKeyPem : keys.publicKeyBase64Url, { mode: 0o600 });
  return path;
}

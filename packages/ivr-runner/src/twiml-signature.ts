import { createHmac } from "node:crypto";

/**
 * Twilio's request signature (X-Twilio-Signature): HMAC-SHA1, keyed with the account's auth token,
 * over the full URL the request goes to (with its query string) followed by every POST parameter,
 * sorted by name, each written as name then value with nothing between; base64-encoded.
 * A GET request carries its parameters in the URL, so it signs the URL alone.
 */
export const SIGNATURE_HEADER = "X-Twilio-Signature";

export function twilioSignature(authToken: string, url: string, params: Readonly<Record<string, string>>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac("sha1", authToken).update(Buffer.from(data, "utf8")).digest("base64");
}

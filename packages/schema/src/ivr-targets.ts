import { z } from "zod";
import { isoTimestamp, pageInput } from "./common.js";

/** A target's name: a lower-case slug (letters, digits, dashes), used on the command line and in env names. */
export const ivrTargetName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, "a slug: lower-case letters, digits and dashes, not starting with a dash");

export const ivrChannelKind = z.enum(["webhook", "twiml"]);
export type IvrChannelKind = z.infer<typeof ivrChannelKind>;

/** Words that mark an option key as a secret: those never go into the database. */
const SECRET_KEY = /token|secret|passw|auth|credential|api[-_]?key|private/i;

/** Whether an option key looks like it names a secret (auth_token, apiKey, password, ...). */
export function isSecretLikeKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * The environment variable holding a target's auth token: `VERDICT_IVR_TOKEN_` + the name in upper case
 * with every character that is not a letter or digit turned into `_` (`twilio-prod` → VERDICT_IVR_TOKEN_TWILIO_PROD).
 */
export function ivrTargetTokenEnv(name: string): string {
  return `VERDICT_IVR_TOKEN_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/**
 * Non-secret options of a target (from/to numbers, HTTP method, account SID). A key that looks like a
 * secret is refused, naming the environment variable the secret belongs in instead.
 */
export const ivrTargetOptions = z
  .record(
    z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, "an option key: a letter, then letters, digits, _ . -"),
    z.string().max(2000),
  )
  .superRefine((options, ctx) => {
    for (const key of Object.keys(options)) {
      if (isSecretLikeKey(key)) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `'${key}' looks like a secret; secrets are never stored: put the auth token in the environment (VERDICT_IVR_TOKEN_<NAME>)`,
        });
      }
    }
  })
  .refine((o) => Object.keys(o).length <= 50, "at most 50 options");
export type IvrTargetOptions = z.infer<typeof ivrTargetOptions>;

const httpUrl = z
  .string()
  .max(2000)
  .url()
  .refine((u) => /^https?:\/\/./.test(u), "an http:// or https:// URL (lower-case scheme)");

export const ivrTargetInput = z.strictObject({
  name: ivrTargetName,
  channel: ivrChannelKind,
  url: httpUrl,
  options: ivrTargetOptions.default({}),
});
export type IvrTargetInput = z.input<typeof ivrTargetInput>;

/** A change to a target: fields left out stay; `options` replaces the whole set when given. */
export const ivrTargetUpdate = z.strictObject({
  name: ivrTargetName,
  patch: z.strictObject({
    channel: ivrChannelKind.optional(),
    url: httpUrl.optional(),
    options: ivrTargetOptions.optional(),
  }),
});
export type IvrTargetUpdate = z.input<typeof ivrTargetUpdate>;

export const ivrTargetDeleteInput = z.strictObject({
  name: ivrTargetName,
  /** Delete even when scenarios name it (they keep the name and fail to resolve it until it is re-created). */
  force: z.boolean().default(false),
});

export const ivrTargetListInput = pageInput.extend({});

export const ivrTarget = z.object({
  name: ivrTargetName,
  channel: ivrChannelKind,
  url: z.string(),
  options: z.record(z.string(), z.string()),
  created_at: isoTimestamp,
  updated_at: isoTimestamp,
});
export type IvrTarget = z.infer<typeof ivrTarget>;

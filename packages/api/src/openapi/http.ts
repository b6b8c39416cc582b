/**
 * Serving the REST surface: `/api/openapi.json` (the OpenAPI 3.1 document, generated from the
 * procedures' zod schemas by trpc-to-openapi) and `/api/v1/…` (trpc-to-openapi's node handler on
 * the REST router, with the server's own context: the same tokens, scopes and errors as /trpc).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TRPCError } from "@trpc/server";
import { type OpenAPIObject, createOpenApiHttpHandler, generateOpenApiDocument } from "trpc-to-openapi";
import type { Context } from "../trpc.js";
import { restRouter } from "./router.js";

/** The REST surface's version (info.version of the document): @verdict/api's package version. */
export const API_VERSION = "0.1.0";
export const REST_PREFIX = "/api/v1";
export const OPENAPI_PATH = "/api/openapi.json";

export function openApiDocument(serverUrl: string, version: string): OpenAPIObject {
  return generateOpenApiDocument(restRouter, {
    title: "Verdict",
    description:
      "Runs (turbulence, JUnit), benchmark metrics and IVR test results. The same procedures as the typed tRPC API at /trpc. Send `Authorization: Bearer <token>` (`verdict token create`).",
    version,
    baseUrl: `${serverUrl}${REST_PREFIX}`,
    securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
  });
}

export function createRestHandler(opts: {
  createContext: (req: IncomingMessage) => Promise<Context>;
  onError: (e: { error: TRPCError; path: string | undefined; req: IncomingMessage }) => void;
  maxBodySize: number;
}): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  // trpc-to-openapi hands createContext a Fetch Request made from the IncomingMessage; the server's
  // context (token, session cookie, refusals) reads the IncomingMessage itself, found by its response.
  const incoming = new WeakMap<ServerResponse, IncomingMessage>();
  const handler = createOpenApiHttpHandler({
    router: restRouter,
    createContext: ({ res }) => {
      const req = incoming.get(res as ServerResponse);
      if (!req) throw new Error("REST request without its IncomingMessage");
      return opts.createContext(req);
    },
    onError: ({ error, path, req }) => opts.onError({ error, path, req }),
    maxBodySize: opts.maxBodySize,
  });
  return (req, res) => {
    incoming.set(res, req);
    req.url = (req.url ?? "/").slice(REST_PREFIX.length) || "/";
    return handler(req, res);
  };
}

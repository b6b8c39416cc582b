import type { TRPCBuiltRouter } from "@trpc/server";
import { appRouter } from "./root.js";
import type { VerdictErrorShape } from "./trpc.js";

/**
 * The router as a client sees it: the same procedures (inputs, outputs, error shape, wire encoding)
 * without the server's context type. Its emitted declaration therefore names no database handle,
 * and @verdict/client ships it with the output types it references and nothing of the server.
 *
 * The constant exists for its type only: tsc writes an unannotated constant's type out in full in
 * the declaration, which is what lets the client's declarations stand alone. Clients import types
 * from this file, never the value.
 */
export const clientProcedures = appRouter._def.record;

export type ClientRouter = TRPCBuiltRouter<
  { ctx: object; meta: object; errorShape: VerdictErrorShape; transformer: true },
  typeof clientProcedures
>;

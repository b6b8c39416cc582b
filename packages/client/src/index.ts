/**
 * @verdict/client: the typed client of a Verdict server, published on its own. The code and the
 * router's client-side type live in @verdict/api (next to the router they describe); this package
 * bundles that code and those declarations so that installing it brings tRPC's client, zod and
 * @verdict/schema, and nothing of the server or its database driver.
 */
export {
  type AppRouter,
  createVerdictClient,
  type RouterInputs,
  type RouterOutputs,
  trpcEndpoint,
  transformer,
  type VerdictClient,
  type VerdictClientOptions,
} from "@verdict/api/client";

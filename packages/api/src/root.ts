import { adminRouter } from "./routers/admin.js";
import { ivrRouter } from "./routers/ivr.js";
import { metricsRouter } from "./routers/metrics.js";
import { queueRouter } from "./routers/queue.js";
import { runsRouter } from "./routers/runs.js";
import { createTRPCRouter } from "./trpc.js";

export const appRouter = createTRPCRouter({
  ivr: ivrRouter,
  metrics: metricsRouter,
  runs: runsRouter,
  admin: adminRouter,
  queue: queueRouter,
});

export type AppRouter = typeof appRouter;

import { defineConfig } from "drizzle-kit";

// One migration folder per domain, so a database can hold just this domain (e.g. a per-run file).
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/schema/queue.ts",
  out: "./migrations/queue",
  breakpoints: true,
});

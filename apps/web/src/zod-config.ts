import { z } from "zod";

// Imported first by main.tsx, before any schema is built: zod's compiled fast path probes `new Function`,
// which the dashboard's content security policy (script-src 'self', no 'unsafe-eval') forbids.
z.config({ jitless: true });

import { useQuery } from "@tanstack/react-query";
import {
  Link,
  Outlet,
  createRootRoute,
  createRoute,
  createRouter,
  lazyRouteComponent,
  redirect,
} from "@tanstack/react-router";
import { useEffect, useState } from "react";
import { z } from "zod";
import { useTRPC } from "./trpc.js";

// Every view's state lives in the URL (search params checked with zod), so every view is a shareable link.
const optional = z.string().min(1).optional().catch(undefined);
export const runsSearch = z.object({ sut: optional, since: optional, until: optional, cursor: optional });
export const instancesSearch = z.object({
  status: z.enum(["pass", "fail"]).optional().catch(undefined),
  /** The gate's `--fail-on` expressions, as given (the API reads and checks them). */
  fail_on: z.array(z.string().min(1).max(200)).min(1).max(50).optional().catch(undefined),
});
export const executionsSearch = z.object({
  status: z.enum(["running", "completed", "failed", "timeout"]).optional().catch(undefined),
  result: z.enum(["pass", "fail"]).optional().catch(undefined),
  cursor: optional,
});
export const compareSearch = z.object({ a: optional, b: optional });
export const scenariosSearch = z.object({ q: optional, cursor: optional });
export const trainingSearch = z.object({
  intent: optional,
  status: z.enum(["pending", "validated", "rejected"]).optional().catch(undefined),
  cursor: optional,
});
export const flakySearch = z.object({
  sut: optional,
  last: z.coerce.number().int().min(1).max(1000).optional().catch(undefined),
});
export const benchmarksSearch = z.object({ project: optional, metric: optional });

function Layout() {
  const trpc = useTRPC();
  const me = useQuery(trpc.admin.whoami.queryOptions());
  const [theme, setTheme] = useState(() => localStorage.getItem("verdict-theme") ?? "auto");
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem("verdict-theme", theme);
  }, [theme]);
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/runs" className="brand">
          Verdict
        </Link>
        <nav aria-label="Sections">
          <Link to="/runs" activeProps={{ "aria-current": "page" }}>
            Runs
          </Link>
          <Link to="/compare" activeProps={{ "aria-current": "page" }}>
            Compare
          </Link>
          <Link to="/flaky" activeProps={{ "aria-current": "page" }}>
            Flaky
          </Link>
          <Link to="/ivr/executions" activeProps={{ "aria-current": "page" }}>
            IVR executions
          </Link>
          <Link to="/ivr/scenarios" activeProps={{ "aria-current": "page" }}>
            Scenarios
          </Link>
          <Link to="/ivr/training" activeProps={{ "aria-current": "page" }}>
            Training
          </Link>
          <Link to="/benchmarks" activeProps={{ "aria-current": "page" }}>
            Benchmarks
          </Link>
          <Link to="/queue" activeProps={{ "aria-current": "page" }}>
            Queue
          </Link>
        </nav>
        <span className="spacer" />
        {me.data ? (
          <span className="muted" data-testid="whoami">
            {me.data.name} · {me.data.scope}
          </span>
        ) : null}
        <label className="theme">
          <span className="sr-only">Theme</span>
          <select value={theme} onChange={(e) => setTheme(e.target.value)} aria-label="Theme">
            <option value="auto">auto</option>
            <option value="light">light</option>
            <option value="dark">dark</option>
          </select>
        </label>
      </header>
      <main id="main">
        <Outlet />
      </main>
    </>
  );
}

const rootRoute = createRootRoute({ component: Layout });

const indexRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/",
  beforeLoad: () => {
    throw redirect({ to: "/runs" });
  },
});

const loginRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/signin",
  component: lazyRouteComponent(() => import("./pages/login.js"), "LoginPage"),
  validateSearch: z.object({ failed: z.coerce.boolean().optional().catch(undefined) }),
});

export const runsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/runs",
  validateSearch: runsSearch,
  component: lazyRouteComponent(() => import("./pages/runs.js"), "RunsPage"),
});

export const runRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/runs/$runId",
  validateSearch: instancesSearch,
  component: lazyRouteComponent(() => import("./pages/run.js"), "RunPage"),
});

export const instanceRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/runs/$runId/instances/$instanceId",
  component: lazyRouteComponent(() => import("./pages/instance.js"), "InstancePage"),
});

export const compareRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/compare",
  validateSearch: compareSearch,
  component: lazyRouteComponent(() => import("./pages/compare.js"), "ComparePage"),
});

export const scenariosRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/ivr/scenarios",
  validateSearch: scenariosSearch,
  component: lazyRouteComponent(() => import("./pages/scenarios.js"), "ScenariosPage"),
});

export const trainingRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/ivr/training",
  validateSearch: trainingSearch,
  component: lazyRouteComponent(() => import("./pages/training.js"), "TrainingPage"),
});

export const executionsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/ivr/executions",
  validateSearch: executionsSearch,
  component: lazyRouteComponent(() => import("./pages/executions.js"), "ExecutionsPage"),
});

export const executionRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/ivr/executions/$executionId",
  component: lazyRouteComponent(() => import("./pages/execution.js"), "ExecutionPage"),
});

export const benchmarksRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/benchmarks",
  validateSearch: benchmarksSearch,
  component: lazyRouteComponent(() => import("./pages/benchmarks.js"), "BenchmarksPage"),
});

export const flakyRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/flaky",
  validateSearch: flakySearch,
  component: lazyRouteComponent(() => import("./pages/flaky.js"), "FlakyPage"),
});

export const queueRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/queue",
  component: lazyRouteComponent(() => import("./pages/queue.js"), "QueuePage"),
});

const routeTree = rootRoute.addChildren([
  indexRoute,
  loginRoute,
  runsRoute,
  runRoute,
  instanceRoute,
  compareRoute,
  scenariosRoute,
  trainingRoute,
  executionsRoute,
  executionRoute,
  benchmarksRoute,
  queueRoute,
  flakyRoute,
]);

export const router = createRouter({ routeTree, defaultPreload: "intent" });

declare module "@tanstack/react-router" {
  interface Register {
    router: typeof router;
  }
}

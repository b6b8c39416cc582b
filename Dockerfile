# syntax=docker/dockerfile:1
# The Verdict application image used by docker-compose.yml: the monorepo built with the pinned pnpm,
# with every `bin` of apps/*/package.json (verdict, verdict-worker, …) on PATH.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
ENV CI=true
WORKDIR /app
RUN npm install --global --no-audit --no-fund --loglevel=error pnpm@10.34.9
# Dependencies first, so they stay cached until the lockfile changes (pnpm fetch needs only it).
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch
COPY . .
RUN pnpm install --offline --frozen-lockfile \
  && pnpm exec turbo run build \
  && pnpm install --offline --frozen-lockfile --prod

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app /app
# One small wrapper per declared bin, so `verdict …` and `verdict-worker …` work as commands.
RUN node scripts/link-bins.mjs /usr/local/bin \
  && verdict --help > /dev/null \
  && if command -v verdict-worker > /dev/null; then verdict-worker --help > /dev/null; \
     else echo "WARNING: no app declares a verdict-worker bin yet; the compose worker service cannot start" >&2; fi
USER node
# Liveness of `verdict serve` on its default port (4000): GET /health must answer 200. Containers of this
# image that run something else (the worker, a one-shot migration) disable it in docker-compose.yml.
# No init process is baked in: docker-compose.yml sets `init: true`; with plain docker, run with --init.
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=20 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:4000/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["verdict", "--help"]

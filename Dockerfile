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
CMD ["verdict", "--help"]

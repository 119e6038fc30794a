# syntax=docker/dockerfile:1
# Multi-stage build: one image target per program (api, worker, scheduler, cli). The programs run
# bundled (packages/toolchain/src/build.ts: each one ES module plus shared chunks, ~100 MB less
# memory per process than running the TypeScript sources, which Node 24 also can).

FROM node:24.21.0-bookworm-slim AS base
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH NODE_ENV=production
RUN npm install --global pnpm@10.34.8
WORKDIR /app

FROM base AS deps
COPY pnpm-workspace.yaml pnpm-lock.yaml package.json ./
COPY packages/admin/package.json packages/admin/
COPY packages/auth/package.json packages/auth/
COPY packages/background/package.json packages/background/
COPY packages/bench/package.json packages/bench/
COPY packages/billing/package.json packages/billing/
COPY packages/broker/package.json packages/broker/
COPY packages/config/package.json packages/config/
COPY packages/contract/package.json packages/contract/
COPY packages/db/package.json packages/db/
COPY packages/email/package.json packages/email/
COPY packages/jobs/package.json packages/jobs/
COPY packages/observability/package.json packages/observability/
COPY packages/ratelimit/package.json packages/ratelimit/
COPY packages/redis/package.json packages/redis/
COPY packages/testing/package.json packages/testing/
COPY packages/toolchain/package.json packages/toolchain/
COPY packages/usage/package.json packages/usage/
COPY packages/usage-client/package.json packages/usage-client/
COPY packages/workspaces/package.json packages/workspaces/
COPY apps/api/package.json apps/api/
COPY apps/cli/package.json apps/cli/
COPY apps/scheduler/package.json apps/scheduler/
COPY apps/worker/package.json apps/worker/
RUN pnpm install --frozen-lockfile --prod

FROM base AS build
COPY --from=deps /app /app
COPY packages packages
COPY apps apps
RUN node packages/toolchain/src/build.ts

FROM base AS runtime
COPY --from=build /app /app
USER node

# The programs run with the node flags of packages/toolchain/src/ProgramFlags.ts (HEAP_LIMIT_MB).
FROM runtime AS cli
ENTRYPOINT ["node", "packages/toolchain/dist/cli.js"]
CMD ["--help"]

FROM runtime AS worker
CMD exec node --max-semi-space-size=32 --max-old-space-size=${HEAP_LIMIT_MB:-256} packages/toolchain/dist/worker.js

FROM runtime AS scheduler
CMD exec node --max-semi-space-size=32 --max-old-space-size=${HEAP_LIMIT_MB:-256} packages/toolchain/dist/scheduler.js

FROM runtime AS api
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD exec node --max-semi-space-size=32 --max-old-space-size=${HEAP_LIMIT_MB:-256} packages/toolchain/dist/api.js

# syntax=docker/dockerfile:1
# Core's image: every service's code in one image; a Deployment runs one of them with
# `bun core/<service>/main.ts` (deploy/k8s). Built and pushed by .github/workflows/deploy.yml.
ARG BUN_VERSION=1.4.5
ARG NODE_VERSION=22

# Production dependencies of core and contracts only, from package-lock.json (npm owns installs here; Bun runs).
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/contracts/package.json packages/contracts/
COPY core/package.json core/
# The lockfile lists every workspace; edge's manifest lets npm check it, none of edge is installed.
COPY edge/package.json edge/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace core --workspace packages/contracts \
  && mkdir -p core/node_modules packages/contracts/node_modules

FROM oven/bun:${BUN_VERSION}-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json bunfig.toml tsconfig.json ./
COPY packages/contracts packages/contracts
COPY core core
COPY --from=deps /app/node_modules node_modules
COPY --from=deps /app/core/node_modules core/node_modules
COPY --from=deps /app/packages/contracts/node_modules packages/contracts/node_modules
# A numeric user, so Kubernetes can verify runAsNonRoot (the image's `bun` user is 1000).
USER 1000:1000
CMD ["bun", "core/main.ts"]

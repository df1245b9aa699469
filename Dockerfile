# TenantGuard's production image: the standalone build (`npm run build`) on node:20-slim, as a non-root user, with a
# root filesystem that can be read-only (`docker run --read-only`); state lives in the /data and /storage volumes.
# Not built on the machine this repository is developed on (it pulls no images): tests/unit/dockerfile.test.ts checks
# its shape. docs/self-hosting.md: how to run the server, the worker and migrations from it.

FROM node:20-slim AS build
WORKDIR /src
ENV NEXT_TELEMETRY_DISABLED=1
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The build validates configuration (lib/env.ts) and inlines NEXT_PUBLIC_ values: a Clerk deployment passes its
# publishable key (not a secret) as a build argument. Every other setting is read when the container starts.
ARG NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY=""
RUN ALLOW_EMBEDDED_IN_PRODUCTION=true npm run build

FROM node:20-slim AS runtime
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    PGLITE_DATA_DIR=/data/pglite \
    IDP_KEY_FILE=/data/idp-key.json \
    FILE_URL_KEY_FILE=/data/file-url-secret.json \
    AUDIT_CHECKPOINT_DIR=/data/audit-checkpoints \
    STORAGE_ROOT=/storage
WORKDIR /app
# Owned by root and not writable by the user the app runs as.
COPY --from=build /src/.next/standalone ./
RUN mkdir -p /data /storage /app/.next/cache && chown node:node /data /storage /app/.next/cache
USER node
VOLUME ["/data", "/storage"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `node worker.mjs` (the job worker) and `node migrate.mjs` (migrations, as the owner) run from the same image.
CMD ["node", "server.js"]

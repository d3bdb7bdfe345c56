# syntax=docker/dockerfile:1
# turbine-worker image: the turbine package (both bins: turbine-worker and turbine) on Node 20.
# Your task module goes on top (see docs/deployment.md, "The image"); the Helm chart passes
# --app, --queues, --concurrency and --config as arguments to the ENTRYPOINT.

ARG NODE_IMAGE=node:20-bookworm-slim

# Build: every dependency, compile TypeScript to dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs scripts/
COPY src/ src/
RUN npm run build

# Runtime: production dependencies and the compiled code only, as a non-root user.
FROM ${NODE_IMAGE} AS runtime
# tini as PID 1 forwards SIGTERM to the worker (which drains) and reaps zombies; Node as PID 1
# would ignore signals it has no handler for yet, e.g. while the task module is still loading.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (the build) needs dev dependencies, and dist/ comes from the build stage.
RUN npm ci --omit=dev --ignore-scripts \
  && npm cache clean --force
COPY --from=build /src/dist/ dist/
COPY config/ config/
# Both bins on the PATH, for the ENTRYPOINT and for `kubectl exec deploy/<name> -- turbine tenant list`.
RUN ln -s /app/dist/worker/main.js /usr/local/bin/turbine-worker \
  && ln -s /app/dist/cli/main.js /usr/local/bin/turbine
# The node image's own unprivileged user, by number so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 9464
ENTRYPOINT ["/usr/bin/tini", "--", "turbine-worker"]
CMD ["--help"]

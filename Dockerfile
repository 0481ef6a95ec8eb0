# etsyhook in a container: `serve` and `worker` for compose.yaml (the README says how to run the stack).
# Stage 1 builds with the dev dependencies and packs the package a user installs (npm pack: bin, dist, README);
# stage 2 installs that tarball with production dependencies only, on Node 20 slim, as a non-root user.

FROM node:20-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
# The dependencies first, in their own layer; the build runs in `npm pack` (prepack), once the sources are in.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json README.md ./
COPY bin ./bin
COPY scripts ./scripts
COPY src ./src
RUN mkdir -p /pkg && npm pack --pack-destination /pkg

FROM node:20-slim
ENV NODE_ENV=production \
    ETSYHOOK_HOME=/home/node/.etsyhook
COPY --from=build /pkg /pkg
RUN npm install -g --omit=dev --no-audit --no-fund /pkg/etsyhook-*.tgz && rm -rf /pkg
# The image's own user (uid 1000), not root.
USER node
RUN mkdir -p /home/node/.etsyhook
EXPOSE 8080
# Slim images have no curl: Node's fetch asks serve's liveness endpoint. (compose.yaml turns it off for worker.)
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["etsyhook"]
CMD ["serve", "--port", "8080"]

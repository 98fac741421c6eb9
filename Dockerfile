# The service image for docker-compose.yml: compiled JavaScript and production dependencies.
# It runs against DATABASE_URL (the compose file's PostgreSQL), never the embedded server.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# A heap of 160 MB keeps the service under 250 MB RSS under load (docs/performance.md); override freely.
# The young generation is capped too: Node 24 sizes it from the machine (64 MB semi-spaces here) and
# then collects the 160 MB old space over and over (8x the CPU per request, issue 14).
ENV NODE_OPTIONS="--max-old-space-size=160 --max-semi-space-size=16"
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# Avro schemas are read at run time (src/bridges/kafka/avro.ts looks for schemas/ beside dist/).
COPY schemas schemas
USER node
EXPOSE 9402
# node itself is the container's main process, so `docker stop` (SIGTERM) reaches the service.
CMD ["node", "dist/src/main.js"]

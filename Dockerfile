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
# The old-space cap is a ceiling for a runaway heap, not the working size (about 50-80 MB): under
# 2 GB V8 lets the old space grow less between full collections the lower the cap (at most 1.3x
# its live size below 256 MB, 1.6x at 1 GB); at 160 MB W2's fixed rate collected every 2 s, each
# a 50-80 ms stretch of slow requests (docs/performance.md, issue 14). The young generation is
# capped: Node 24 sizes it from the machine (64 MB semi-spaces here), which costs RSS and CPU.
ENV NODE_OPTIONS="--max-old-space-size=1024 --max-semi-space-size=16"
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# Avro schemas are read at run time (src/bridges/kafka/avro.ts looks for schemas/ beside dist/).
COPY schemas schemas
USER node
EXPOSE 9402
# node itself is the container's main process, so `docker stop` (SIGTERM) reaches the service.
CMD ["node", "dist/src/main.js"]

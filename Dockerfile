# One image for both roles: `npm run api` or `npm run worker` (see docker-compose.yml).
# Every COPY here is what those two commands read at run time; test/cluster/deploy-files.test.ts runs both
# from exactly these files against a real cluster, so a file the processes need and the image lacks fails it.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# The API publishes this folder's campaigns and policy at start (CAMPAIGNS_DIR) and stops without it.
COPY campaigns ./campaigns
USER node
# The API's port, and the worker's /metrics (METRICS_PORT) with the Temporal SDK's on the next one.
EXPOSE 3000 9464
CMD ["npm", "run", "api"]

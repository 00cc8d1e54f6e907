import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * GET /metrics for a process without an HTTP API of its own (the worker): Beckon's registry, followed by
 * the Temporal SDK's own metrics read from the runtime's Prometheus endpoint, so one scrape target has both.
 */
export async function serveMetrics(options: { registry: Registry; host: string; port: number; sdkMetricsUrl?: string }): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    void exposition(options).then(
      (text) => response.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
      (err: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function exposition(options: { registry: Registry; sdkMetricsUrl?: string }): Promise<string> {
  const own = await options.registry.metrics();
  if (!options.sdkMetricsUrl) return own;
  // The SDK's endpoint down (the runtime still starting) should not hide Beckon's own figures.
  const sdk = await fetch(options.sdkMetricsUrl, { signal: AbortSignal.timeout(2_000) }).then(
    (response) => (response.ok ? response.text() : `# the Temporal SDK's metrics answered ${response.status}\n`),
    (err: Error) => `# the Temporal SDK's metrics are unreachable: ${err.message}\n`,
  );
  return `${own.trimEnd()}\n${sdk}`;
}

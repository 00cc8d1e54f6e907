import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface ConsoleOptions {
  /** Base URL of the Temporal Web UI the step links open (TEMPORAL_UI_URL, or the dev server's); none: the page shows the query to paste. */
  temporalUiUrl?: string;
  /** The namespace the Web UI links list journeys in. */
  namespace: string;
}

/** The page, its scripts and styles: plain files, served as they are (no build step). */
const CONSOLE_DIR = join(__dirname, '..', '..', 'console');
/** The chart library, from the registry, served from node_modules so the page works offline. */
const UPLOT_DIR = join(dirname(require.resolve('uplot/package.json')), 'dist');
const VENDOR = new Map([
  ['uplot.js', join(UPLOT_DIR, 'uPlot.esm.js')],
  ['uplot.css', join(UPLOT_DIR, 'uPlot.min.css')],
]);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Everything from this origin only: the page cannot load or send anything elsewhere, whatever a script does. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The files of the console folder, read once: a request can only name one of them, never a path. */
function consoleFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of readdirSync(CONSOLE_DIR)) {
    if (/^[a-z0-9-]+\.(js|css|svg)$/.test(name)) files.set(name, join(CONSOLE_DIR, name));
  }
  return files;
}

async function sendFile(reply: FastifyReply, path: string): Promise<FastifyReply> {
  return reply
    .header('content-type', TYPES[extname(path)] ?? 'application/octet-stream')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    // The files change with the checkout, not per deploy of a hashed bundle: the browser asks again each time.
    .header('cache-control', 'no-cache')
    .send(await readFile(path));
}

/** `GET /console`: the operators' page of campaigns, funnels, experiments and charts; it reads the ops API with the token one logs in with. */
export function consoleRoutes(app: FastifyInstance, options: ConsoleOptions): void {
  const files = consoleFiles();
  const hidden = { schema: { hide: true } };
  const index = join(CONSOLE_DIR, 'index.html');
  app.get('/console', hidden, async (_request, reply) => sendFile(reply, index));
  app.get('/console/', hidden, async (_request, reply) => sendFile(reply, index));
  app.get('/console/settings.json', hidden, async () => ({ temporalUiUrl: options.temporalUiUrl?.replace(/\/+$/, '') ?? null, namespace: options.namespace }));
  app.get<{ Params: { name: string } }>('/console/vendor/:name', hidden, async (request, reply) => {
    const path = VENDOR.get(request.params.name);
    if (!path) return reply.status(404).send({ error: 'not_found', message: `no console file vendor/${request.params.name}` });
    return sendFile(reply, path);
  });
  app.get<{ Params: { name: string } }>('/console/:name', hidden, async (request, reply) => {
    const path = files.get(request.params.name);
    if (!path) return reply.status(404).send({ error: 'not_found', message: `no console file ${request.params.name}` });
    return sendFile(reply, path);
  });
}

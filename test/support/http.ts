import type { FastifyInstance } from 'fastify';

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface HttpRequest {
  method: string;
  url: string;
  /** An object is sent as JSON; a string is sent as is. */
  payload?: unknown;
  headers?: Record<string, string>;
}

/** Sends a real HTTP request to a base URL (tests go through the socket, as clients do). */
export async function request(baseUrl: string, req: HttpRequest): Promise<HttpResponse> {
  const headers: Record<string, string> = { ...req.headers };
  let body: string | undefined;
  if (typeof req.payload === 'string') body = req.payload;
  else if (req.payload !== undefined) {
    body = JSON.stringify(req.payload);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(new URL(req.url, baseUrl), { method: req.method, headers, body });
  const text = await response.text();
  return {
    statusCode: response.status,
    headers: Object.fromEntries(response.headers.entries()),
    body: text,
    json: () => JSON.parse(text),
  };
}

/** Starts the app on a free port and returns a client bound to it. */
export async function serve(app: FastifyInstance): Promise<(req: HttpRequest) => Promise<HttpResponse>> {
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return (req) => request(address, req);
}

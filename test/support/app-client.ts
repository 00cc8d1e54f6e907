import type { HttpRequest, HttpResponse } from './http';

/** Headers an app sends to app-facing routes (inbox, consent); the one place where source authentication is added. */
export function appHeaders(): Record<string, string> {
  return {};
}

/** A client for app-facing routes: every request carries appHeaders(). */
export function asApp(http: (req: HttpRequest) => Promise<HttpResponse>): (req: HttpRequest) => Promise<HttpResponse> {
  return (req) => http({ ...req, headers: { ...appHeaders(), ...req.headers } });
}

// The ops API as the console calls it: the token from sessionStorage as a Bearer header, and errors a person can act on.

const TOKEN_KEY = 'beckon.console.token';

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  logIn: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  /** Forgets the token: nothing of it stays in the browser. */
  logOut: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** The API answered 401: the token is unknown, revoked or missing; the message says which. */
export class TokenRejectedError extends Error {
  constructor(message) {
    super(message);
    this.name = 'TokenRejectedError';
  }
}

/** Nothing answered: the API is down or the network is. */
export class ApiUnreachableError extends Error {
  constructor(cause) {
    super(`The Beckon API at ${location.origin} does not answer (${cause.message}). Check that it runs (npm start, or npm run api), then retry.`);
    this.name = 'ApiUnreachableError';
  }
}

/** Any other answer that is not 2xx, with the API's own message (403: the scope; 404; 409: the status forbids it). */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `the API answered ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

/** One call; `path` is under the origin, e.g. /v1/ops/campaigns. */
export async function api(path, options = {}) {
  const headers = { authorization: `Bearer ${session.token() ?? ''}` };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: 'no-store',
    });
  } catch (err) {
    throw new ApiUnreachableError(err);
  }
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = { message: text.slice(0, 200) };
  }
  if (response.status === 401) throw new TokenRejectedError(body?.message ?? 'The token was not accepted.');
  // A proxy in front of a stopped API answers 502-504 with a page of its own.
  if (response.status >= 502 && response.status <= 504) throw new ApiUnreachableError(new Error(`HTTP ${response.status}`));
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** The stats API's address for one campaign, range and grouping: the page's only source of figures. */
export function statsPath(campaignId, range, groupBy, version) {
  const query = new URLSearchParams({ from: range.from, to: range.to, groupBy });
  if (version) query.set('version', String(version));
  return `/v1/ops/campaigns/${encodeURIComponent(campaignId)}/stats?${query}`;
}

/** The programme stats API's address for one range: the global control group against every campaign it covers. */
export function programmePath(range) {
  return `/v1/ops/programme/stats?${new URLSearchParams({ from: range.from, to: range.to })}`;
}

import { CliError, EXIT, exitCodeForStatus } from './exit-codes';

export interface ApiClientOptions {
  url: string;
  /** The admin token, or where to find it when a command first needs it (BECKON_TOKEN, else npm start's dev token). */
  token?: string | (() => string | undefined);
  /** Said when a command needs a token and there is none. */
  missingToken?: string;
  /** Write key for `events send` (HTTP Basic), when the API requires one. */
  writeKey?: string;
  /** A source's signing key for `users token` (BECKON_SIGNING_KEY). */
  signingKey?: string;
}

const HINTS: Record<number, string> = {
  401: 'set BECKON_TOKEN to an admin token (`npm start` prints a dev one; `beckon tokens create` makes one)',
  403: 'use a token with the scope this command needs (read < operate < admin)',
};

/** The ops API over HTTP; every failure becomes a CliError with the API's message, a hint and the exit code of its status. */
export function createApiClient(options: ApiClientOptions) {
  const base = options.url.replace(/\/+$/, '');
  let token: string | undefined;
  const tokenNow = () => (token ??= typeof options.token === 'function' ? options.token() : options.token);
  async function call<T>(method: string, path: string, body?: unknown, auth: 'token' | 'writeKey' | 'signingKey' = 'token'): Promise<T> {
    const headers: Record<string, string> = {};
    if (auth === 'signingKey') {
      if (!options.signingKey) throw new CliError("BECKON_SIGNING_KEY is not set: export BECKON_SIGNING_KEY=<the source's signing key> (`npm start` keeps the dev one in .data/dev-signing-key)", EXIT.usage);
      headers.authorization = `Bearer ${options.signingKey}`;
    } else if (auth === 'token') {
      if (!tokenNow()) {
        throw new CliError(options.missingToken ?? 'BECKON_TOKEN is not set: export BECKON_TOKEN=<admin token> (`npm start` prints a dev token)', EXIT.usage);
      }
      headers.authorization = `Bearer ${tokenNow()}`;
    } else if (options.writeKey) {
      headers.authorization = `Basic ${Buffer.from(`${options.writeKey}:`).toString('base64')}`;
    }
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new CliError(`cannot reach the Beckon API at ${base} (${reason}); is it running? set BECKON_URL if it is elsewhere`, EXIT.unavailable);
    }
    const text = await response.text();
    const parsed: unknown = text ? safeJson(text) : undefined;
    if (!response.ok) {
      const answer = (parsed ?? {}) as { message?: string; problems?: unknown };
      const hint = HINTS[response.status];
      const message = `${method} ${path}: ${response.status} ${answer.message ?? text.slice(0, 200)}${hint ? `\n  ${hint}` : ''}`;
      throw new CliError(message, exitCodeForStatus(response.status), parsed);
    }
    return parsed as T;
  }
  return {
    get: <T>(path: string) => call<T>('GET', path),
    post: <T>(path: string, body?: unknown) => call<T>('POST', path, body ?? {}),
    delete: <T>(path: string) => call<T>('DELETE', path),
    track: <T>(body: unknown) => call<T>('POST', '/v1/track', body, 'writeKey'),
    userToken: <T>(userId: string, body: unknown) => call<T>('POST', `/v1/users/${encodeURIComponent(userId)}/token`, body, 'signingKey'),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export type ApiClient = ReturnType<typeof createApiClient>;

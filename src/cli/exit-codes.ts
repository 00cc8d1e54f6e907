/** Exit codes of `beckon`, which scripts can rely on (the README lists them). */
export const EXIT = {
  ok: 0,
  /** The operation ran and failed: an invalid campaign, a batch with failures, a server error. */
  failed: 1,
  /** Wrong flags or arguments, missing BECKON_URL/BECKON_TOKEN, or a request the API refused as invalid (400). */
  usage: 2,
  /** No such campaign, user, journey or batch (404). */
  notFound: 3,
  /** The token is missing, unknown, revoked (401) or lacks the scope (403). */
  denied: 4,
  /** The campaign or journey is in a state that does not allow the operation (409). */
  conflict: 5,
  /** The API, Temporal or Postgres could not be reached (connection refused, 503, 429). */
  unavailable: 6,
} as const;

/** An error that ends the command with a given exit code; its message says what to do. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The exit code for an HTTP status from the API. */
export function exitCodeForStatus(status: number): number {
  if (status === 400 || status === 413) return EXIT.usage;
  if (status === 401 || status === 403) return EXIT.denied;
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  if (status === 429 || status === 503) return EXIT.unavailable;
  return EXIT.failed;
}

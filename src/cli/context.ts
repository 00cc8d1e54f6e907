import type { ApiClient } from './api-client';
import type { Output } from './output';

/** What every command gets: the API client and the output, both made from the global options. */
export interface CliContext {
  api(): ApiClient;
  out(): Output;
  /** The environment the CLI runs in (DATABASE_URL, PSEUDONYM_KEY for the commands that work on Postgres directly). */
  env: NodeJS.ProcessEnv;
}

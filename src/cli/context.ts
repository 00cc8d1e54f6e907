import type { ApiClient } from './api-client';
import type { Output } from './output';

/** What every command gets: the API client and the output, both made from the global options. */
export interface CliContext {
  api(): ApiClient;
  out(): Output;
}

import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { RunningApiDeps } from '../../src/api';
import { stateQuery, userWorkflowId, type UserStateView } from '../../src/workflows/messages';
import { clientCredential, eventually, startTestApi } from './api';
import { request, type HttpRequest, type HttpResponse } from './http';

/**
 * The API of test/support/api.ts (real socket, test Postgres, dev Temporal, a worker of its own)
 * with what the inbox, consent and engagement tests need on top.
 */
export interface ApiHarness {
  deps: RunningApiDeps;
  app: FastifyInstance;
  baseUrl: string;
  /** Link routes: authenticated by their signature, so sent without credentials. */
  http: (req: HttpRequest) => Promise<HttpResponse>;
  /** App-facing routes (inbox, consent), with the token of the user the path names. */
  appHttp: (req: HttpRequest) => Promise<HttpResponse>;
  /** The headers of a user's own client, for clients that make their own requests (the SSE reader). */
  userHeaders: (userId: string) => Record<string, string>;
  /** The test source's keys: the write key (public) and the signing key (the app's server). */
  writeKey: string;
  signingKey: string;
  sourceId: string;
  /** The user workflow's state once `done` holds (polls the state query). */
  userState(pseudonym: string, done: (view: UserStateView) => boolean): Promise<UserStateView>;
  close(): Promise<void>;
}

export async function startApiHarness(): Promise<ApiHarness> {
  const api = await startTestApi();
  const { deps } = api;
  return {
    deps,
    app: api.app,
    baseUrl: api.url,
    http: (req) => request(api.url, req),
    appHttp: (req) => request(api.url, { ...req, headers: { authorization: clientCredential(api.signingKey, req.url), ...req.headers } }),
    userHeaders: api.userAuth,
    writeKey: api.writeKey,
    signingKey: api.signingKey,
    sourceId: api.sourceId,
    userState: (pseudonym, done) => eventually(() => api.temporal.workflow.getHandle(userWorkflowId(pseudonym)).query(stateQuery), done, 60_000),
    async close() {
      await api.close();
    },
  };
}

/** A Temporal client that cannot reach anything (nothing listens on port 1). */
export function offlineTemporal(): Client {
  return new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1s' }) });
}

export { eventually };

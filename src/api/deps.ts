import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { DeliveryPolicy } from '../domain/campaign/campaign-schema';
import type { LinkSigner } from '../privacy/signed-links';

/** What the routes need; `src/api.ts` builds it. */
export interface ApiDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  pseudonymize: (userId: string) => string;
  /** The campaign catalog revision, cached: stamped on each event so user workflows reload campaigns only when they change. */
  catalogRevision: () => Promise<number>;
  /** Checks the signed links in messages (unsubscribe, open, click) and push open reports. */
  linkSigner: LinkSigner;
  /** policy.yaml as published; by default read from Postgres at most once a second (tests hand their own). */
  deliveryPolicy?: () => Promise<DeliveryPolicy | undefined>;
  /** True under `npm start` with its dev sinks: serves GET /v1/dev/mail and /v1/dev/push. */
  devSinks?: boolean;
}

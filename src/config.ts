import { z } from 'zod';

/** The environment Beckon reads; every variable has a one-line description (shown by `npm run config:docs`). */
const port = z.coerce
  .number({ error: 'must be a port number (0-65535)' })
  .int('must be a port number (0-65535)')
  .min(0, 'must be a port number (0-65535)')
  .max(65535, 'must be a port number (0-65535)');

/** "true"/"false" (also 1/0, yes/no) from the environment. */
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

export const configSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1').describe('Interface the HTTP API binds to (0.0.0.0 in containers).'),
  PORT: port.default(3000).describe('Port of the HTTP API.'),
  PUBLIC_URL: z
    .url({ message: 'must be an absolute URL, e.g. https://beckon.example.com' })
    .optional()
    .describe('Base URL of the API as recipients reach it, for links in messages (unsubscribe, open, click); defaults to http://HOST:PORT.'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('Log level of the API and the worker.'),
  DATA_DIR: z.string().min(1).default('.data').describe('Folder for local state of `npm start`: Temporal SQLite file, embedded Postgres, dev key.'),

  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'must be host:port')
    .optional()
    .describe('Temporal frontend host:port; when unset, `npm start` runs a dev server, and the worker and API alone use 127.0.0.1:7233.'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default').describe('Temporal namespace of all Beckon workflows.'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('beckon').describe('Task queue the worker polls and the API starts workflows on.'),
  TEMPORAL_DEV_PORT: port.default(7233).describe('gRPC port of the dev Temporal server that `npm start` runs.'),
  TEMPORAL_UI_PORT: port.default(8233).describe('Port of the Temporal Web UI of the dev server that `npm start` runs.'),
  TEMPORAL_UI_URL: z
    .url({ message: 'must be the Web UI base URL, e.g. https://temporal.example.com' })
    .optional()
    .describe("Base URL of the Temporal Web UI the console's step links open; `npm start` sets its dev UI's, unset elsewhere shows the query to paste."),
  TEMPORAL_SIGNALS_IN_FLIGHT: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .default(16)
    .describe('Signal-with-starts one API process has in flight to Temporal; more wait up to 2 s for a slot, then get 429 with Retry-After.'),
  TEMPORAL_CLI_PATH: z.string().min(1).optional().describe('Path of a `temporal` CLI to use instead of the one on PATH or built into .tools/.'),

  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional()
    .describe('PostgreSQL connection URL; when unset, `npm start` runs an embedded PostgreSQL under DATA_DIR/postgres.'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10).describe('Most Postgres connections one process opens.'),
  EMBEDDED_PG_PORT: port.default(54329).describe('Port of the embedded PostgreSQL that `npm start` and `npm run postgres` run when DATABASE_URL is unset.'),

  INGEST_RATE_LIMIT: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .default(500)
    .describe('Ingestion requests (a batch counts as one) a write key may make per second on each API process; more get 429.'),

  INGEST_DEDUP_DAYS: z.coerce
    .number({ error: 'must be a number of days' })
    .int('must be a whole number of days')
    .min(1, 'must be at least 1 day')
    .default(7)
    .describe('How long a messageId is remembered: a retry within it counts once; older ones are pruned hourly.'),

  CODEC_UI_ORIGIN: z
    .url({ message: 'must be the Web UI origin, e.g. http://localhost:8233' })
    .optional()
    .describe('Origin of the Temporal Web UI allowed to decrypt payloads through the API\'s /codec/decode; unset disables it (`npm start` sets it for its dev UI).'),

  METRICS_PORT: port
    .optional()
    .describe('Port of the worker\'s GET /metrics (Prometheus, on HOST): Beckon\'s counters, then the Temporal SDK\'s own; unset: none. The API serves /metrics on PORT.'),
  TEMPORAL_SDK_METRICS_PORT: port
    .optional()
    .describe('Port on 127.0.0.1 where the worker\'s Temporal runtime exports its Prometheus metrics (read by its /metrics); defaults to METRICS_PORT + 1.'),

  CAMPAIGNS_DIR: z
    .string()
    .min(1)
    .default('campaigns')
    .describe('Folder of campaign definitions (YAML/JSON) and policy.yaml, published as new versions when they change at start.'),

  SMTP_HOST: z
    .string()
    .min(1)
    .optional()
    .describe('SMTP server for email; when unset, `npm start` runs a local sink (listed at GET /v1/dev/mail) and a worker alone cannot send email.'),
  SMTP_PORT: port.default(587).describe('Port of the SMTP server (587 submission with STARTTLS, 465 implicit TLS, 25 relay).'),
  SMTP_SECURE: flag.default(false).describe('true: TLS from the first byte (port 465); false: plain, upgraded with STARTTLS when offered.'),
  SMTP_REQUIRE_TLS: flag.default(false).describe('true: refuse to send unless the server upgrades the connection with STARTTLS.'),
  SMTP_USER: z.string().min(1).optional().describe('SMTP user name; no authentication when unset.'),
  SMTP_PASSWORD: z.string().optional().describe('SMTP password of SMTP_USER.'),
  SMTP_POOL: flag.default(false).describe('true: keep a pool of SMTP connections open and reuse them across messages.'),
  EMAIL_FROM: z.string().min(3).default('Beckon <beckon@localhost>').describe('From header of every email; its domain also names Message-IDs.'),
  FIREBASE_SERVICE_ACCOUNT: z
    .string()
    .min(2)
    .optional()
    .describe('Firebase service account for push (FCM v1): a path to its JSON file, or the JSON itself; when unset, push is logged (dev sink) instead of sent.'),
  WEBHOOK_SECRET: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe('Key of the HMAC-SHA256 signature on webhook requests (Beckon-Signature header); webhook steps fail while it is unset.'),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000).describe('How long one webhook request may take before it counts as failed and is retried.'),
  BECKON_FAULT_POINT: z
    .enum(['after-reserve', 'after-claim', 'after-send', 'after-outcome', 'in-transaction-after-inbox', 'erasure-after-rows'])
    .optional()
    .describe('Tests only: the worker kills itself (SIGKILL) the first time a send (or an erasure) reaches this point.'),

  PSEUDONYM_KEY: z
    .string()
    .min(32, 'must be at least 32 characters (use `openssl rand -hex 32`)')
    .optional()
    .describe('Secret key of the HMAC that turns user IDs into pseudonyms; `npm start` generates one under DATA_DIR when unset.'),

  DATA_KEY_MASTER_KEY: z
    .string()
    .min(32, 'must be at least 32 characters (use `openssl rand -hex 32`)')
    .optional()
    .describe("Master key that wraps each user's payload data key (stored in Postgres); derived from PSEUDONYM_KEY when unset."),
  DATA_KEY_OLD_MASTER_KEYS: z
    .string()
    .regex(/^[^,\s]{32,}(,[^,\s]{32,})*$/, 'must be comma-separated keys of at least 32 characters each')
    .optional()
    .describe('Former master keys, comma-separated, kept after a rotation to unwrap the data keys they wrapped (re-wrapped on use).'),
  DATA_KEY_CACHE_SIZE: z.coerce.number().int().min(1).default(10_000).describe('Unwrapped user data keys each process keeps in memory (LRU).'),
  ERASURE_DELETE_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(1)
    .describe('Workflow deletions an erasure has in flight at once; more did not help on the dev server (SQLite), a cluster may gain.'),
  ERASURE_WAIT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(600_000)
    .default(60_000)
    .describe('How long DELETE /v1/ops/users/:userId waits for the erasure before answering 202 (0: at once; it finishes on its own); keep it under a proxy\'s timeout.'),

  RETAIN_DELIVERIES_DAYS: z.coerce.number().int().min(1).default(400).describe('Days a delivery record (status, reason, no content) is kept; older ones are deleted hourly.'),
  RETAIN_ENGAGEMENT_DAYS: z.coerce.number().int().min(1).default(400).describe('Days an open or click is kept; older ones are deleted hourly.'),
  RETAIN_INBOX_DAYS: z.coerce.number().int().min(1).default(180).describe('Days an in-app inbox message is kept; older ones are deleted hourly.'),
  RETAIN_ERASURE_DETAILS_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .default(1095)
    .describe("Days an erasure record keeps its details (what was removed); afterwards only when, by which token, and the pseudonym stay."),
  EXPERIMENT_LOOP_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(60)
    .describe('How often each API process applies auto winner rules and settles the engaged sessions after messages.'),
});

export type Config = z.infer<typeof configSchema>;

/** A configuration that cannot start Beckon; the message names each variable and the reason. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; reason: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.reason}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once; empty strings count as unset so `FOO=` in a .env file means "use the default". */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: issue.path.join('.') || '(environment)', reason: issue.message })),
    );
  }
  return parsed.data;
}

/** Temporal address the worker and API connect to when none is configured. */
export function temporalAddress(config: Config): string {
  return config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_DEV_PORT}`;
}

/** Base URL for links in messages, without a trailing slash. */
export function publicUrl(config: Config): string {
  return (config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`).replace(/\/+$/, '');
}

/** The value a process needs but may not default, with the reason; used by `npm run api` and `npm run worker`. */
export function requireSetting<K extends keyof Config>(config: Config, key: K, why: string): NonNullable<Config[K]> {
  const value = config[key];
  if (value === undefined || value === null) throw new ConfigError([{ variable: String(key), reason: `required: ${why}` }]);
  return value;
}

/** Markdown table of every variable, for the README. */
export function configTable(): string {
  const rows = Object.entries(configSchema.shape).map(([name, schema]) => {
    const def = schema.safeParse(undefined);
    const defaultValue = def.success && def.data !== undefined ? `\`${String(def.data)}\`` : '(unset)';
    return `| \`${name}\` | ${defaultValue} | ${schema.description ?? ''} |`;
  });
  return ['| variable | default | what it is |', '|---|---|---|', ...rows].join('\n');
}

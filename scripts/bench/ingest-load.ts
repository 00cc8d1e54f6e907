import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { createPseudonymizer } from '../../src/privacy/pseudonym';
import { mintUserToken } from '../../src/privacy/user-token';
import { openStream } from '../../test/support/sse';
import { median, percentile } from './stats';

export interface IngestLoadOptions {
  /** The running Beckon (a default `npm start`). */
  url: string;
  /** Its DATA_DIR, where npm start keeps the dev write key, signing key, admin token and pseudonym key. */
  dataDir: string;
  /** Its Postgres (the embedded one by default), where the stream samples commit inbox messages. */
  databaseUrl: string;
  calls: number;
  users: number;
  concurrency: number;
  streamSamples: number;
}

export interface IngestLoadReport {
  calls: number;
  users: number;
  concurrency: number;
  elapsedMs: number;
  callsPerSecond: number;
  statuses: Record<string, number>;
  answered5xx: number;
  /** 429 answers, each retried after its Retry-After (a limit, not a failure). */
  retried429: number;
  answeredMs: { p50: number; p99: number; max: number };
  usersCounted: number;
  usersWrong: { userId: string; expected: number; counted: number | undefined }[];
  countedWithinMs: number;
  stream: { mode: string; samples: number; p50: number; p95: number; max: number };
}

const EVENT = 'Bench Load';
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Load against a running Beckon as a new user meets it: `calls` POST /v1/track over `users` users with `concurrency`
 * calls in flight, then checks that every user's workflow counted exactly its events, then times how soon an inbox
 * live stream hears of a committed message (woken by NOTIFY, or by the poll where notifications do not arrive).
 */
export async function runIngestLoad(options: IngestLoadOptions, log: (line: string) => void): Promise<IngestLoadReport> {
  const dataDir = resolve(options.dataDir);
  const writeKey = readFileSync(join(dataDir, 'dev-write-key'), 'utf8').trim();
  const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
  const pseudonymize = createPseudonymizer(readFileSync(join(dataDir, 'pseudonym.key'), 'utf8').trim());
  const signingKey = readFileSync(join(dataDir, 'dev-signing-key'), 'utf8').trim();
  const basic = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  const run = Date.now().toString(36);
  const userIds = Array.from({ length: options.users }, (_, i) => `load-${run}-${i}`);
  const expected = new Map(userIds.map((id) => [id, 0]));

  const statuses: Record<string, number> = {};
  const answered: number[] = [];
  let retried429 = 0;
  let retried5xx = 0;
  let next = 0;
  const send = async (): Promise<void> => {
    for (let i = next++; i < options.calls; i = next++) {
      const userId = userIds[i % userIds.length]!;
      const body = JSON.stringify({ userId, event: EVENT, messageId: `${run}-${i}`, properties: { i } });
      for (;;) {
        const started = performance.now();
        const response = await fetch(`${options.url}/v1/track`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/json' }, body });
        await response.arrayBuffer();
        answered.push(performance.now() - started);
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        if (response.status === 429) {
          retried429++;
          await sleep(Number(response.headers.get('retry-after') ?? 1) * 1000);
          continue;
        }
        // A 5xx is counted, then retried with the same messageId as Segment's clients do (a signal that did land is dropped as a duplicate).
        if (response.status >= 500 && retried5xx++ < options.calls) {
          await sleep(1000);
          continue;
        }
        if (response.status === 200) expected.set(userId, expected.get(userId)! + 1);
        break;
      }
    }
  };
  log(`ingest-load: ${options.calls} calls over ${options.users} users, ${options.concurrency} in flight, against ${options.url}`);
  const started = performance.now();
  await Promise.all(Array.from({ length: options.concurrency }, send));
  const elapsedMs = performance.now() - started;

  // Every user's workflow must count exactly the events it was answered 200 for; signals may still be folding in
  // (at a load average of 50 the dev server was 3.5 min behind after 10,000 calls).
  const counted = new Map<string, number | undefined>();
  const countStarted = performance.now();
  for (const deadline = Date.now() + 600_000; ; ) {
    const open = userIds.filter((id) => counted.get(id) !== expected.get(id));
    for (const userId of open) {
      const response = await fetch(`${options.url}/v1/ops/users/${encodeURIComponent(userId)}`, { headers: { authorization: `Bearer ${token}` } });
      const view = (await response.json()) as { state?: { events?: Record<string, { count: number }> }; pending?: number };
      counted.set(userId, view.pending === 0 ? view.state?.events?.[EVENT]?.count : undefined);
    }
    if (userIds.every((id) => counted.get(id) === expected.get(id)) || Date.now() > deadline) break;
    await sleep(1000);
  }
  const countedWithinMs = performance.now() - countStarted;
  const usersWrong = userIds
    .filter((id) => counted.get(id) !== expected.get(id))
    .map((userId) => ({ userId, expected: expected.get(userId)!, counted: counted.get(userId) }));

  const stream = await timeStream(options, pseudonymize, signingKey, run);
  const sorted = [...answered].sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    calls: options.calls,
    users: options.users,
    concurrency: options.concurrency,
    elapsedMs: Math.round(elapsedMs),
    callsPerSecond: Math.round((options.calls / elapsedMs) * 1000),
    statuses,
    answered5xx: Object.entries(statuses).filter(([status]) => Number(status) >= 500).reduce((sum, [, n]) => sum + n, 0),
    retried429,
    answeredMs: { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? 0) },
    usersCounted: userIds.length - usersWrong.length,
    usersWrong,
    countedWithinMs: Math.round(countedWithinMs),
    stream,
  };
}

/** From the commit of an inbox row (a single-statement transaction) to the stream's `message` event, one user at a time. */
async function timeStream(options: IngestLoadOptions, pseudonymize: (id: string) => string, signingKey: string, run: string): Promise<IngestLoadReport['stream']> {
  const db = new Client({ connectionString: options.databaseUrl });
  await db.connect();
  const samples: number[] = [];
  let mode = 'unknown';
  try {
    for (let i = 0; i < options.streamSamples; i++) {
      const userId = `stream-${run}-${i}`;
      const pseudonym = pseudonymize(userId);
      // The dev source requires user tokens (as every new source does): the stream is opened with that user's.
      const userToken = mintUserToken(signingKey, userId, { expiresAt: Math.floor(Date.now() / 1000) + 600 });
      const reader = await openStream(`${options.url}/v1/users/${encodeURIComponent(userId)}/inbox/stream`, { authorization: `Bearer ${userToken}` });
      try {
        const hello = await reader.next();
        mode = hello.comments.join(' ');
        const committed = performance.now();
        await db.query(
          `INSERT INTO inbox_messages (pseudonym, delivery_key, campaign_id, campaign_version, title, body) VALUES ($1, $2, 'bench', 1, 'bench', 'b')`,
          [pseudonym, `bench:v1:${pseudonym}:1:${i}`],
        );
        await reader.next((event) => event.event === 'message');
        samples.push(performance.now() - committed);
      } finally {
        reader.close();
      }
    }
  } finally {
    await db.end();
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return { mode, samples: samples.length, p50: round(median(sorted)), p95: round(percentile(sorted, 95)), max: round(sorted.at(-1) ?? 0) };
}

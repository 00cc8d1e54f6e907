import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { TrackedEvent } from '../../src/domain/events';
import { createPseudonymizer } from '../../src/privacy/pseudonym';
import { runMain } from '../../src/process';
import { eventSignal, userWorkflowId, type EventSignal } from '../../src/workflows/messages';
import { beckonUser } from '../../src/workflows/search-attributes';
import { startBenchStack } from './stack';
import { summarise, timedLoad } from './stats';

const USAGE = `npm run bench:ingest -- [--events N] [--users N] [--concurrency N] [--batch N]
  --events       calls per phase (default 3000)
  --users        distinct users the calls are spread over (default 300)
  --concurrency  calls in flight at once (default 16)
  --batch        also send the events through /v1/batch in batches of N (default 100; 0 skips)`;

/**
 * What the ingestion API costs over Temporal: the same events, spread over the same number of
 * users, go once through POST /v1/track and once as plain signalWithStart calls from a client on
 * the same server, in one run. Each phase uses fresh users so neither finds the other's workflows.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { events: { type: 'string' }, users: { type: 'string' }, concurrency: { type: 'string' }, batch: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) return void console.log(USAGE);
  const events = Number(values.events ?? 3000);
  const users = Number(values.users ?? 300);
  const concurrency = Number(values.concurrency ?? 16);
  const batchSize = Number(values.batch ?? 100);
  if (![events, users, concurrency].every((n) => Number.isInteger(n) && n > 0) || !Number.isInteger(batchSize) || batchSize < 0) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }

  // A rate limit far above the load, so the benchmark measures the path, not the limiter.
  const stack = await startBenchStack({ INGEST_RATE_LIMIT: 1_000_000 });
  try {
    const runId = Date.now().toString(36);
    const auth = `Basic ${Buffer.from(`${stack.writeKey}:`).toString('base64')}`;
    const userOf = (phase: string, i: number) => `bench-${runId}-${phase}-${i % users}`;
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${stack.api.url}${path}`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
    };

    // Warm-up: connections, the JIT, the first workflow tasks.
    await timedLoad('warm-up', 200, concurrency, (i) => post('/v1/track', { userId: userOf('warm', i), event: 'Bench Event', properties: { i } }));

    const api = await timedLoad('POST /v1/track', events, concurrency, (i) =>
      post('/v1/track', { userId: userOf('api', i), event: 'Bench Event', properties: { i }, messageId: `${runId}-api-${i}` }),
    );

    const pseudonymize = createPseudonymizer(stack.pseudonymKey);
    const revision = await stack.pool.query<{ revision: string }>('SELECT revision FROM campaign_catalog');
    const catalogRevision = Number(revision.rows[0]?.revision ?? 0);
    const raw = await timedLoad('signalWithStart', events, concurrency, async (i) => {
      const pseudonym = pseudonymize(userOf('raw', i));
      const now = new Date().toISOString();
      const event: TrackedEvent = { messageId: `${runId}-raw-${i}`, event: 'Bench Event', properties: { i }, timestamp: now, receivedAt: now };
      await stack.temporal.workflow.signalWithStart('userWorkflow', {
        workflowId: userWorkflowId(pseudonym),
        taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
        args: [{ version: 1, pseudonym }],
        signal: eventSignal,
        signalArgs: [{ version: 1, event, catalogRevision } satisfies EventSignal],
        typedSearchAttributes: [{ key: beckonUser, value: pseudonym }],
      });
    });

    let batch: Awaited<ReturnType<typeof timedLoad>> | undefined;
    if (batchSize > 0) {
      const batches = Math.ceil(events / batchSize);
      batch = await timedLoad(`POST /v1/batch x${batchSize}`, batches, concurrency, (b) =>
        post('/v1/batch', {
          batch: Array.from({ length: batchSize }, (_, k) => ({
            type: 'track',
            userId: userOf('batch', b * batchSize + k),
            event: 'Bench Event',
            properties: { k },
            messageId: `${runId}-batch-${b}-${k}`,
          })),
        }),
      );
    }

    const apiSummary = summarise(api.samples, api.elapsedMs);
    const rawSummary = summarise(raw.samples, raw.elapsedMs);
    const batchEvents = batch ? summarise(batch.samples.flatMap(() => Array<number>(batchSize).fill(0)), batch.elapsedMs) : undefined;
    const rows = [
      ['POST /v1/track (API)', apiSummary.perSecond, apiSummary.p50, apiSummary.p95, apiSummary.p99, api.errors],
      ['signalWithStart (raw)', rawSummary.perSecond, rawSummary.p50, rawSummary.p95, rawSummary.p99, raw.errors],
    ];
    if (batch) {
      const perRequest = summarise(batch.samples, batch.elapsedMs);
      rows.push([`POST /v1/batch x${batchSize} (per request)`, batchEvents!.perSecond, perRequest.p50, perRequest.p95, perRequest.p99, batch.errors]);
    }
    console.log(`\ningestion: ${events} events per phase over ${users} users, ${concurrency} in flight; ${cpus().length} cores`);
    console.log(`postgres: ${stack.describe.postgres}; temporal: ${stack.describe.temporal}\n`);
    console.log('| path | events/s | p50 ms | p95 ms | p99 ms | errors |');
    console.log('|---|---|---|---|---|---|');
    for (const row of rows) console.log(`| ${row.join(' | ')} |`);
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    console.log(`\nAPI / raw: throughput ${ratio(apiSummary.perSecond, rawSummary.perSecond)}, p50 ${ratio(apiSummary.p50, rawSummary.p50)}x, p99 ${ratio(apiSummary.p99, rawSummary.p99)}x`);

    mkdirSync('bench-results', { recursive: true });
    const file = join('bench-results', `ingest-${runId}.json`);
    writeFileSync(
      file,
      JSON.stringify({ events, users, concurrency, batchSize, stack: stack.describe, api: apiSummary, raw: rawSummary, batchEvents, errors: { api: api.errors, raw: raw.errors, batch: batch?.errors } }, null, 2),
    );
    console.log(`figures written to ${file}`);
  } finally {
    await stack.stop();
  }
}

runMain(main);

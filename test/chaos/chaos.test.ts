import { runChaos } from '../../scripts/chaos/runner';
import { formatChaosReport } from '../../scripts/chaos/report';
import { temporalCliPath } from '../support/env';

/**
 * The short chaos run (`npm run chaos` is the long one): journeys in flight through a worker killed
 * with SIGKILL, a Temporal restart, a Postgres restart, an SMTP peer that refuses connections, and
 * every event sent twice. Afterwards each journey finished on its campaign's path, each message step
 * arrived exactly once or is recorded `unknown` (README, "Delivery guarantees"), and no event was lost.
 */
describe('chaos: faults while journeys are in flight', () => {
  it('finishes every journey, delivers every step once or records it unknown, and loses no event', async () => {
    const report = await runChaos({
      users: 40,
      pingsPerUser: 1,
      enterOverMs: 12_000,
      pauseSeconds: 3,
      replySeconds: 20,
      faultWindowMs: 34_000,
      killEveryMs: [6_000, 11_000],
      temporalRestarts: 1,
      postgresRestarts: 1,
      smtpRefusalMs: 12_000,
      apis: 2,
      settleMs: 150_000,
      temporalCliPath: temporalCliPath(),
      workflowBundlePath: process.env.TEST_WORKFLOW_BUNDLE,
      log: (line) => process.stderr.write(`[chaos] ${line}\n`),
    });
    process.stderr.write(`${formatChaosReport(report)}\n`);
    const { counts, faults } = report;

    expect(counts.problems).toEqual([]);
    expect(faults).toMatchObject({ temporalRestarts: 1, postgresRestarts: 1 });
    expect(faults.workerKills).toBeGreaterThanOrEqual(2);
    expect(counts.journeys).toMatchObject({ started: 40, completed: 40, byPath: { replied: 20, silent: 20 } });
    expect(counts.steps.expected).toBe(120);
    expect(counts.steps.once + counts.steps['unknown-arrived'] + counts.steps['unknown-lost']).toBe(120);
    for (const sink of Object.values(counts.sinks)) expect({ duplicates: sink.duplicates, stray: sink.stray }).toEqual({ duplicates: 0, stray: 0 });
    // 40 identify + 40 entry + 20 replies + 40 pings; copies in turn are answered new, then duplicate.
    expect(counts.events).toMatchObject({ sent: 140, inTurn: { calls: 70, newThenDuplicate: 70 }, tracked: 100, inUserState: 100, usersMismatched: 0 });
    expect(counts.events.together.calls).toBe(70);
  }, 600_000);
});

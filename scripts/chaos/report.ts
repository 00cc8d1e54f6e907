import type { ChaosReport } from './runner';

/** The counts of a chaos run as a table for the terminal. */
export function formatChaosReport(report: ChaosReport): string {
  const { counts: c, faults: f } = report;
  const rows: [string, string | number][] = [
    ['run', `${report.id}, ${(report.durationMs / 1000).toFixed(0)}s`],
    ['faults', `worker SIGKILLed ${f.workerKills}x (${f.workerStarts} starts, ${f.workerCrashes} fell over by themselves), Temporal restarted ${f.temporalRestarts}x (came back wedged ${f.temporalWedged}x), ${f.postgres} restarted ${f.postgresRestarts}x, SMTP refused ${(f.smtpRefusedMs / 1000).toFixed(0)}s, API crashes ${f.apiCrashes}`],
    ['users', c.users],
    ['journeys started', c.journeys.started],
    ['journeys completed', `${c.journeys.completed} (replied path ${c.journeys.byPath.replied}, silent path ${c.journeys.byPath.silent})`],
    ['journeys running / failed / missing / extra / wrong path', `${c.journeys.running} / ${c.journeys.failed} / ${c.journeys.missing} / ${c.journeys.extra} / ${c.journeys.wrongPath}`],
    ['message steps expected', c.steps.expected],
    ['delivered exactly once', c.steps.once],
    ['recorded unknown, arrived once', c.steps['unknown-arrived']],
    ['recorded unknown, never arrived', c.steps['unknown-lost']],
    ['delivered twice or more', c.steps.double],
    ['missing / other', `${c.steps.missing} / ${c.steps.other}`],
    ['SMTP peer: received / distinct / duplicates / stray', `${c.sinks.smtp.received} / ${c.sinks.smtp.distinct} / ${c.sinks.smtp.duplicates} / ${c.sinks.smtp.stray}`],
    ['FCM endpoint: received / distinct / duplicates / stray', `${c.sinks.fcm.received} / ${c.sinks.fcm.distinct} / ${c.sinks.fcm.duplicates} / ${c.sinks.fcm.stray}`],
    ['inbox: rows / distinct / duplicates / stray', `${c.sinks.inbox.received} / ${c.sinks.inbox.distinct} / ${c.sinks.inbox.duplicates} / ${c.sinks.inbox.stray}`],
    ['delivery records', Object.entries(c.records).map(([status, n]) => `${status} ${n}`).join(', ')],
    ['calls sent (identify + track, each twice)', c.events.sent],
    ['  copies in turn: calls / new then duplicate / other', `${c.events.inTurn.calls} / ${c.events.inTurn.newThenDuplicate} / ${c.events.inTurn.other}`],
    ['  copies together: calls / one new / both new / none new', `${c.events.together.calls} / ${c.events.together.oneNew} / ${c.events.together.bothNew} / ${c.events.together.noneNew}`],
    ['track events sent / in user state / users mismatched', `${c.events.tracked} / ${c.events.inUserState} / ${c.events.usersMismatched}`],
    ['problems', c.problems.length],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
  for (const problem of c.problems.slice(0, 20)) lines.push(`  ! ${problem}`);
  if (c.problems.length > 20) lines.push(`  ! ... and ${c.problems.length - 20} more`);
  return lines.join('\n');
}

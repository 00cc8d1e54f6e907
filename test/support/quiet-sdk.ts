import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';

const logged: LogEntry[] = [];

// Workers in tests print only warnings and errors (their info lines would bury jest's report); workflows' lines of every level are kept for workflowLog.
Runtime.install({
  logger: new DefaultLogger('INFO', (entry) => {
    if (entry.meta?.sdkComponent === 'workflow') logged.push(entry);
    if (entry.level === 'WARN' || entry.level === 'ERROR') {
      process.stderr.write(`[${entry.level}] ${entry.message}${entry.meta ? ` ${JSON.stringify(entry.meta)}` : ''}\n`);
    }
  }),
});

/** What one workflow logged through `log` from @temporalio/workflow in this test file: level and message, in order. */
export function workflowLog(workflowId: string): { level: string; message: string }[] {
  return logged.filter((entry) => entry.meta?.workflowId === workflowId).map(({ level, message }) => ({ level, message }));
}

import type { BatchProgress } from '../temporal/batch-operations';
import type { CliContext } from './context';
import { CliError, EXIT } from './exit-codes';
import { bar } from './output';

/** Follows a batch operation through the API until it ends, printing a progress bar; a batch with failures fails the command. */
export async function followBatch(ctx: CliContext, jobId: string, pollMs = 500): Promise<BatchProgress> {
  let last = '';
  for (;;) {
    const progress = await ctx.api().get<BatchProgress>(`/v1/ops/batches/${encodeURIComponent(jobId)}`);
    const line = `${progress.kind} ${bar(progress.done, progress.total)} ${progress.failed ? `${progress.failed} failed ` : ''}(${progress.state})`;
    if (line !== last) ctx.out().progress(line);
    last = line;
    if (progress.state === 'failed') throw new CliError(`batch ${jobId} failed on the Temporal server; see it with: temporal batch describe --job-id ${jobId}`, EXIT.failed, progress);
    if (progress.state !== 'running') {
      if (progress.failed > 0) throw new CliError(`${progress.failed} of ${progress.total} workflows could not be ${progress.kind === 'cancel' ? 'cancelled' : 'signalled'}; run the command again to retry them`, EXIT.failed, progress);
      return progress;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

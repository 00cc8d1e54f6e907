import { condition, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { quickLocalActivityOptions } from './activity-policies';
import { resumeSignal } from './messages';

/** A held journey re-reads its campaign's status this often, in case it missed the resume signal (started mid-resume). */
export const PAUSE_RECHECK_MS = 5 * 60_000;

const { campaignStatus } = proxyLocalActivities<Activities>(quickLocalActivityOptions);

/**
 * The pause gate of one journey: before a message step it asks Postgres whether the campaign is
 * paused and, if so, holds there until the resume signal (or the next re-check) finds it active.
 * Waits keep running while paused; only sends are held, and an exit still ends the journey at once.
 */
export function createPauseGate(campaignId: string, onHold: (stepId: string) => void) {
  let resumes = 0;
  setHandler(resumeSignal, () => {
    resumes += 1;
  });
  return async function holdWhilePaused(stepId: string, exited: () => boolean): Promise<void> {
    while (!exited() && (await campaignStatus(campaignId)) === 'paused') {
      onHold(stepId);
      const seen = resumes;
      await condition(() => exited() || resumes > seen, PAUSE_RECHECK_MS, { summary: `${stepId}: held while ${campaignId} is paused` });
    }
  };
}

import { createCampaignStatusActivities } from './campaign-status-activities';
import { createCatalogActivities } from './catalog-activities';
import { createExperimentActivities } from './experiment-activities';
import { createErasureActivities, type ErasureFaultPoint } from './erasure-activities';
import { createJourneyActivities } from './journey-activities';
import { createMessageActivities, type MessageActivityDeps } from './message-activities';
import type { FaultPoint } from './send-path';

/** The pool, the channel senders the worker built from its configuration, and who to tell when keys are destroyed. */
export type ActivityDeps = Omit<MessageActivityDeps, 'fault'> & {
  /** Tests only: a worker kills itself at the fault point it was given. */
  fault?: (point: FaultPoint | ErasureFaultPoint) => void;
  onKeysDestroyed?: (pseudonyms: readonly string[]) => void;
  /** Workflow deletions an erasure has in flight at once. */
  deleteConcurrency?: number;
};

/** Every activity the worker registers, built from explicit dependencies (no module-level singletons). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createCatalogActivities(deps),
    ...createCampaignStatusActivities(deps),
    ...createMessageActivities(deps),
    ...createExperimentActivities(deps),
    ...createJourneyActivities(deps),
    ...createErasureActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;

import { createCampaignStatusActivities } from './campaign-status-activities';
import { createCatalogActivities } from './catalog-activities';
import { createExperimentActivities } from './experiment-activities';
import { createMessageActivities, type MessageActivityDeps } from './message-activities';

/** The pool, and the channel senders the worker built from its configuration. */
export type ActivityDeps = MessageActivityDeps;

/** Every activity the worker registers, built from explicit dependencies (no module-level singletons). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createCatalogActivities(deps),
    ...createCampaignStatusActivities(deps),
    ...createMessageActivities(deps),
    ...createExperimentActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;

import type { Pool } from 'pg';
import { createExperimentRepository, type ConversionRecord, type EntryEnd, type EntryRecord, type RecordedConversion } from '../db/experiment-repository';

/** What experiments are measured on: each entry with its arm, how it ended, and conversions. Each is idempotent. */
export function createExperimentActivities(deps: { pool: Pool }) {
  const experiments = createExperimentRepository(deps.pool);
  return {
    async recordEntry(entry: EntryRecord): Promise<void> {
      await experiments.recordEntry(entry);
    },
    async recordJourneyEnd(end: EntryEnd): Promise<void> {
      await experiments.recordEnd(end);
    },
    async recordConversion(conversion: ConversionRecord): Promise<RecordedConversion> {
      return experiments.recordConversion(conversion);
    },
  };
}

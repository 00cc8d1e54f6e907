import type { WorkerOptions } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createPool } from '../../src/db/pool';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the integration tests through jest (test/support/global-setup.ts)`);
  return value;
}

export const testDatabaseUrl = () => required('TEST_DATABASE_URL');
export const testTemporalAddress = () => required('TEST_TEMPORAL_ADDRESS');
export const testServerPath = () => required('TEMPORAL_TEST_SERVER_PATH');
export const temporalCliPath = () => required('TEMPORAL_CLI_PATH');

/** The workflows as global-setup bundled them once, so each test's worker starts in milliseconds. */
export function workflowBundle(): NonNullable<WorkerOptions['workflowBundle']> {
  return { codePath: required('TEST_WORKFLOW_BUNDLE') };
}

export function testPool(): Pool {
  return createPool(testDatabaseUrl(), 4);
}

/** A user ID no other test uses, so tests can share one database. */
export function uniqueUserId(label: string): string {
  return `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

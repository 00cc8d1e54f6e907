import { readFileSync } from 'node:fs';
import { runMain } from '../../src/process';
import { runWorkerProcess } from '../../src/worker';
import { googleApisAgent } from '../../test/support/google-peer';

/**
 * `npm run worker` as the chaos run starts it: the same process (src/worker.ts), with two test-only
 * inputs from the environment: the workflow bundle built once for the run (a restart after SIGKILL
 * then takes seconds, not a rebundle), and the Google peer that plays FCM for firebase-admin.
 */
const bundle = process.env.CHAOS_WORKFLOW_BUNDLE;
const googlePort = Number(process.env.CHAOS_GOOGLE_PORT);
const googleCa = process.env.CHAOS_GOOGLE_CA;
if (!bundle || !googlePort || !googleCa) throw new Error('CHAOS_WORKFLOW_BUNDLE, CHAOS_GOOGLE_PORT and CHAOS_GOOGLE_CA are set by scripts/chaos/runner.ts');

runMain(() => runWorkerProcess({ workflowBundle: { codePath: bundle }, firebaseAgent: googleApisAgent(googlePort, readFileSync(googleCa)) }));

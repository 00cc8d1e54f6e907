import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { readRecordedHistories, replay } from '../../src/temporal/history-replay';
import { journeyWorkflow } from '../../src/workflows/journey-workflow';
import { workflowBundle } from '../support/env';

/**
 * Determinism (invariant 10): every recorded history (test/replay/histories, made by `npm run replay:record`)
 * replays on the current workflow code, so a change that running workflows would trip over fails here, in CI.
 */
const recorded = readRecordedHistories(join(__dirname, 'histories'));
const histories = recorded.map((h) => ({ workflowId: h.workflowId, history: h.decoded, shape: h.shape }));
const journeys = histories.filter((_, i) => recorded[i]!.workflowType === journeyWorkflow.name);

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
const bundle = (file: string) => bundleWorkflowCode({ workflowsPath: require.resolve(join(__dirname, 'fixtures', file)), logger: quiet }).then((b) => ({ code: b.code }));

describe('replay of recorded histories', () => {
  it('covers every journey shape of the shipped campaigns and the user workflow', () => {
    const shapes = recorded.map((h) => h.shape);
    for (const expected of [/^welcome:/, /purchase within 48h exits/, /the offer/, /paused across the due timer/, /cancelled/, /engagement during the 4h wait exits/, /email next day/, /absence armed, then disarmed/, /continued as new/, /re-run by ops/]) {
      expect(shapes).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
    }
  });

  it('every recorded history replays on the current workflow code', async () => {
    const outcomes = await replay(histories, { workflowBundle: workflowBundle() });
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    expect(outcomes).toHaveLength(histories.length);
  });

  it('a change made without patched() fails with a DeterminismViolationError; the same change behind patched() replays', async () => {
    const unpatched = await replay(journeys, { workflowBundle: await bundle('unpatched-workflows.ts') });
    expect(unpatched.length).toBe(journeys.length);
    expect(unpatched.map((o) => o.errorName)).toEqual(journeys.map(() => 'DeterminismViolationError'));

    const withPatch = await replay(journeys, { workflowBundle: await bundle('patched-workflows.ts') });
    expect(withPatch.filter((o) => !o.ok)).toEqual([]);
  });
});

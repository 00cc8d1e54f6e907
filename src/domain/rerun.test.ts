import { compileCampaign } from './campaign/campaign-compile';
import { validateCampaign } from './campaign/campaign-validation';
import { planRerun } from './rerun';
import { initialUserState, recordEntry } from './user-state';

const definition = validateCampaign({
  id: 'once',
  name: 'Once',
  entry: { event: 'Signed Up' },
  reentry: { mode: 'once' },
  templates: { t: { channel: 'in_app', title: 'T', body: 'B' } },
  steps: [{ id: 's', type: 'message', template: 't' }],
});
if (!definition.ok) throw new Error('fixture campaign is invalid');
const campaign = compileCampaign(definition.definition, 3);
const idFor = (campaignId: string, entry: number) => `journey:${campaignId}:p:${entry}`;
const NOW = Date.parse('2026-05-01T10:00:00Z');

describe('planRerun', () => {
  it('enters a once-only campaign again, as the next entry, with a re-run entry event', () => {
    const entered = recordEntry(initialUserState(), 'once').state;
    const plan = planRerun(entered, campaign, 'req-1', NOW, idFor);
    expect('start' in plan && plan.start).toMatchObject({ entry: 2, workflowId: 'journey:once:p:2', entryEvent: { messageId: 'rerun:req-1', event: 'Signed Up', properties: {} } });
    expect(plan.state.running.once).toEqual([expect.objectContaining({ entry: 2, startedAt: '2026-05-01T10:00:00.000Z' })]);
  });

  it('starts one journey per request, however often it arrives', () => {
    const first = planRerun(initialUserState(), campaign, 'req-1', NOW, idFor);
    const again = planRerun({ ...first.state, running: {} }, campaign, 'req-1', NOW, idFor);
    expect(again).toEqual({ state: { ...first.state, running: {} }, skipped: 'duplicate' });
  });

  it('does not start beside a running journey, nor for a campaign that is not active', () => {
    const running = planRerun(initialUserState(), campaign, 'req-1', NOW, idFor).state;
    expect(planRerun(running, campaign, 'req-2', NOW, idFor)).toMatchObject({ skipped: 'already_running' });
    expect(planRerun(initialUserState(), undefined, 'req-3', NOW, idFor)).toMatchObject({ skipped: 'not_active' });
  });
});

import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { anonymousKey } from '../../src/api/ingestion';
import { GROUP_TRAITS } from '../../src/domain/conditions';
import { stateQuery, userWorkflowId } from '../../src/workflows/messages';
import { eventually, startTestApi, type TestApi } from '../support/api';
import { uniqueUserId } from '../support/env';

/**
 * The real Segment and RudderStack server libraries, unchanged but for the host, against Beckon.
 * The write key's rate limit is set low so that the clients meet 429s and retry: every call must
 * still arrive exactly once.
 */
let api: TestApi;
const statuses: number[] = [];

beforeAll(async () => {
  api = await startTestApi({ ingestRateLimit: 2, onResponse: (_method, url, status) => url === '/v1/batch' && statuses.push(status) });
});

afterAll(async () => {
  await api?.close();
});

const stateOf = (pseudonym: string) => api.temporal.workflow.getHandle(userWorkflowId(pseudonym)).query(stateQuery);

/** What each client sends, in the calls its library offers. */
interface Calls {
  track(userId: string, event: string, properties: Record<string, unknown>): void;
  anonymousTrack(anonymousId: string, event: string): void;
  identify(userId: string, traits: Record<string, unknown>): void;
  page(userId: string, name: string): void;
  screen(userId: string, name: string): void;
  alias(previousId: string, userId: string): void;
  flushAndClose(): Promise<void>;
}

async function sendAndCheck(label: string, calls: Calls): Promise<void> {
  const userId = uniqueUserId(label);
  const anonymousId = uniqueUserId(`${label}-anon`);
  statuses.length = 0;
  calls.anonymousTrack(anonymousId, 'Viewed Pricing');
  calls.identify(userId, { plan: 'pro', email: `${label}@example.com` });
  for (let i = 0; i < 12; i++) calls.track(userId, 'Clicked', { i });
  calls.page(userId, 'Pricing');
  calls.screen(userId, 'Home');
  await calls.flushAndClose();
  // The alias comes once the visitor's event has reached its workflow, as a login would.
  await eventually(() => stateOf(api.pseudonymize(anonymousKey(anonymousId))), (v) => v.state.totalEvents === 1);
  calls.alias(anonymousId, userId);
  await calls.flushAndClose();

  const view = await eventually(
    () => stateOf(api.pseudonymize(userId)),
    (v) => v.state.totalEvents === 15,
    60_000,
  );
  expect(view.state.events).toMatchObject({
    Clicked: { count: 12 },
    'Page Viewed': { count: 1 },
    'Screen Viewed': { count: 1 },
    'Viewed Pricing': { count: 1 },
  });
  expect(view.state.traits.plan).toBe('pro');
  const profile = await api.pool.query('SELECT email FROM users WHERE user_id = $1', [userId]);
  expect(profile.rows[0]).toEqual({ email: `${label}@example.com` });
  // The clients met the rate limit and retried.
  expect(statuses).toContain(429);
  expect(statuses).toContain(200);
}

describe('Segment and RudderStack clients, unchanged but for the host', () => {
  it('@segment/analytics-node: batches, retries after 429, and every call arrives once', async () => {
    let analytics = new SegmentAnalytics({ writeKey: api.writeKey, host: api.url, flushAt: 3, flushInterval: 50, maxRetries: 20 });
    await sendAndCheck('segment', {
      track: (userId, event, properties) => analytics.track({ userId, event, properties }),
      anonymousTrack: (anonymousId, event) => analytics.track({ anonymousId, event }),
      identify: (userId, traits) => analytics.identify({ userId, traits }),
      page: (userId, name) => analytics.page({ userId, name }),
      screen: (userId, name) => analytics.screen({ userId, name }),
      alias: (previousId, userId) => analytics.alias({ previousId, userId }),
      flushAndClose: async () => {
        await analytics.closeAndFlush({ timeout: 60_000 });
        analytics = new SegmentAnalytics({ writeKey: api.writeKey, host: api.url, flushAt: 3, flushInterval: 50, maxRetries: 20 });
      },
    });
  });

  it('@rudderstack/rudder-sdk-node: gzipped batches, retries after 429, and every call arrives once', async () => {
    const analytics = new RudderAnalytics(api.writeKey, { dataPlaneUrl: api.url, flushAt: 3, flushInterval: 50, retryCount: 20, logLevel: 'error' });
    await sendAndCheck('rudder', {
      track: (userId, event, properties) => analytics.track({ userId, event, properties: properties as Record<string, number> }),
      anonymousTrack: (anonymousId, event) => analytics.track({ anonymousId, event }),
      identify: (userId, traits) => analytics.identify({ userId, traits: traits as Record<string, string> }),
      page: (userId, name) => analytics.page({ userId, name }),
      screen: (userId, name) => analytics.screen({ userId, name }),
      alias: (previousId, userId) => analytics.alias({ previousId, userId }),
      flushAndClose: () => analytics.flush(),
    });
  });

  it('@segment/analytics-node group: 200, the group traits on a group profile linked to the user and in their workflow', async () => {
    const analytics = new SegmentAnalytics({ writeKey: api.writeKey, host: api.url, flushAt: 1, flushInterval: 50, maxRetries: 20 });
    const userId = uniqueUserId('grouped');
    const acme = uniqueUserId('acme');
    const globex = uniqueUserId('globex');
    statuses.length = 0;
    analytics.group({ userId, groupId: acme, traits: { name: 'Acme', plan: 'free', seats: 3 } });
    analytics.group({ userId, groupId: globex, traits: { name: 'Globex', plan: 'enterprise' } });
    await analytics.closeAndFlush({ timeout: 60_000 });
    // A later call merges into the group's traits; null removes one.
    const again = new SegmentAnalytics({ writeKey: api.writeKey, host: api.url, flushAt: 1, flushInterval: 50, maxRetries: 20 });
    again.group({ userId, groupId: acme, traits: { plan: 'pro', seats: null } });
    await again.closeAndFlush({ timeout: 60_000 });
    expect(statuses.filter((status) => status !== 429).every((status) => status === 200)).toBe(true);

    const stored = await api.pool.query('SELECT group_id, traits FROM segment_groups WHERE group_id = ANY($1) ORDER BY group_id', [[acme, globex]]);
    expect(Object.fromEntries(stored.rows.map((row) => [row.group_id, row.traits]))).toEqual({
      [acme]: { name: 'Acme', plan: 'pro' },
      [globex]: { name: 'Globex', plan: 'enterprise' },
    });
    const members = await api.pool.query('SELECT group_id FROM segment_group_members WHERE pseudonym = $1 ORDER BY group_id', [api.pseudonymize(userId)]);
    expect(members.rows.map((row) => row.group_id)).toEqual([acme, globex].sort());
    const view = await eventually(
      () => stateOf(api.pseudonymize(userId)),
      (v) => (v.state.traits[GROUP_TRAITS] as Record<string, { plan?: string }> | undefined)?.[acme]?.plan === 'pro',
      60_000,
    );
    expect(view.state.traits[GROUP_TRAITS]).toEqual({ [acme]: { name: 'Acme', plan: 'pro' }, [globex]: { name: 'Globex', plan: 'enterprise' } });
    // A group call is no event: nothing counted.
    expect(view.state.totalEvents).toBe(0);
  });

  it('a group call without groupId is a 400 naming the field', async () => {
    const answer = await api.http({ method: 'POST', url: '/v1/group', payload: { userId: uniqueUserId('nogroup'), traits: { plan: 'pro' } } });
    expect(answer.statusCode).toBe(400);
    expect(JSON.stringify(answer.json())).toContain('groupId');
  });
});

import type { TrackedEvent } from './events';
import { applyEvent, applyTraits, initialUserState, mergeUserStates, type UserState } from './user-state';

const event = (name: string, messageId: string, timestamp: string): TrackedEvent => ({
  messageId,
  event: name,
  properties: {},
  timestamp,
  receivedAt: timestamp,
});

const fold = (state: UserState, ...events: TrackedEvent[]) => events.reduce((s, e) => applyEvent(s, e).state, state);

describe('mergeUserStates', () => {
  const visitor = fold(
    applyTraits(initialUserState(), { plan: 'free', referrer: 'ad' }),
    event('Viewed Pricing', 'a1', '2026-01-01T10:00:00.000Z'),
    event('Session Started', 'a2', '2026-01-01T09:00:00.000Z'),
  );
  const user = fold(
    applyTraits(initialUserState(), { plan: 'pro' }),
    event('Viewed Pricing', 'u1', '2026-01-02T10:00:00.000Z'),
  );

  it('adds counts and keeps the latest time of each event', () => {
    const merged = mergeUserStates(user, visitor);
    expect(merged.events['Viewed Pricing']).toEqual({ count: 2, lastAt: '2026-01-02T10:00:00.000Z' });
    expect(merged.events['Session Started']).toEqual({ count: 1, lastAt: '2026-01-01T09:00:00.000Z' });
    expect(merged.totalEvents).toBe(3);
  });

  it("keeps the known user's traits over the visitor's", () => {
    expect(mergeUserStates(user, visitor).traits).toEqual({ plan: 'pro', referrer: 'ad' });
  });

  it("remembers the visitor's messageIds, so a retried visitor event is still a duplicate", () => {
    const merged = mergeUserStates(user, visitor);
    expect(applyEvent(merged, event('Viewed Pricing', 'a1', '2026-01-01T10:00:00.000Z')).duplicate).toBe(true);
  });

  it('adds entries per campaign and keeps the latest entry time', () => {
    const withEntries = (state: UserState, n: number, at: string): UserState => ({ ...state, entries: { welcome: n }, lastEntryAt: { welcome: at } });
    const merged = mergeUserStates(withEntries(user, 1, '2026-01-02T00:00:00Z'), withEntries(visitor, 2, '2026-01-03T00:00:00Z'));
    expect(merged.entries).toEqual({ welcome: 3 });
    expect(merged.lastEntryAt).toEqual({ welcome: '2026-01-03T00:00:00Z' });
  });

  it('merging an empty visitor changes nothing', () => {
    expect(mergeUserStates(user, initialUserState())).toEqual(user);
  });
});

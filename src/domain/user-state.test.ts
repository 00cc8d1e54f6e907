import fc from 'fast-check';
import type { TrackedEvent } from './events';
import { applyEvent, initialUserState, recordEntry, RECENT_MESSAGE_IDS, type UserState } from './user-state';

function event(messageId: string, name = 'Viewed Pricing', timestamp = '2026-01-01T00:00:00.000Z'): TrackedEvent {
  return { messageId, event: name, properties: {}, timestamp, receivedAt: timestamp };
}

function fold(events: TrackedEvent[], state: UserState = initialUserState()): UserState {
  return events.reduce((current, next) => applyEvent(current, next).state, state);
}

describe('applyEvent', () => {
  it('counts events by name and keeps the latest timestamp', () => {
    const state = fold([
      event('a', 'Viewed Pricing', '2026-01-02T00:00:00.000Z'),
      event('b', 'Viewed Pricing', '2026-01-01T00:00:00.000Z'),
      event('c', 'Signed Up'),
    ]);
    expect(state.totalEvents).toBe(3);
    expect(state.events['Viewed Pricing']).toEqual({ count: 2, lastAt: '2026-01-02T00:00:00.000Z' });
    expect(state.events['Signed Up']?.count).toBe(1);
  });

  it('drops an event whose messageId it has seen', () => {
    const once = applyEvent(initialUserState(), event('same'));
    const twice = applyEvent(once.state, event('same'));
    expect(twice.duplicate).toBe(true);
    expect(twice.state).toBe(once.state);
    expect(twice.state.totalEvents).toBe(1);
  });

  it('remembers a bounded number of messageIds', () => {
    const many = Array.from({ length: RECENT_MESSAGE_IDS + 25 }, (_, i) => event(`m${i}`));
    const state = fold(many);
    expect(state.recentMessageIds).toHaveLength(RECENT_MESSAGE_IDS);
    expect(state.recentMessageIds[0]).toBe('m25');
    expect(state.totalEvents).toBe(RECENT_MESSAGE_IDS + 25);
  });

  it('folds any sequence with its duplicates as if each messageId came once', () => {
    const arbEvent = fc.record({
      messageId: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
      event: fc.constantFrom('Signed Up', 'Viewed Pricing', 'Completed Purchase'),
    });
    fc.assert(
      fc.property(fc.array(arbEvent, { maxLength: 40 }), (raw) => {
        const events = raw.map((r) => event(r.messageId, r.event));
        const firstOfEach = events.filter((e, i) => events.findIndex((other) => other.messageId === e.messageId) === i);
        expect(fold(events)).toEqual(fold(firstOfEach));
        expect(fold(events).totalEvents).toBe(firstOfEach.length);
      }),
    );
  });
});

describe('recordEntry', () => {
  it('numbers entries per campaign from 1', () => {
    let state = initialUserState();
    const first = recordEntry(state, 'welcome');
    state = first.state;
    const second = recordEntry(state, 'welcome');
    const other = recordEntry(second.state, 'offer');
    expect([first.entry, second.entry, other.entry]).toEqual([1, 2, 1]);
  });
});

import { Client, type Pool } from 'pg';
import { createInAppSender } from '../../src/activities/channels/in-app-sender';
import { createMessageActivities } from '../../src/activities/message-activities';
import { testPool } from '../support/env';
import { createProfile } from '../support/profiles';
import { messageInput, runActivity } from '../support/send-input';

/** Records the text of every statement this process sends while `during` runs (pg's Client.query, as the cost bench counts them). */
async function statementsOf(during: () => Promise<unknown>): Promise<string[]> {
  const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = proto.query;
  const seen: string[] = [];
  proto.query = function traced(this: unknown, ...args: unknown[]) {
    const [first] = args;
    seen.push(typeof first === 'string' ? first : String((first as { text?: string }).text));
    return query.apply(this, args);
  };
  try {
    await during();
  } finally {
    proto.query = query;
  }
  return seen.map((text) => text.replace(/\s+/g, ' ').trim());
}

/**
 * An in-app message is one transaction: the user's lock, the decision's read, the experiment entry, the
 * inbox row and the delivery's final record (whose roll-up reads the entry's arm), then one COMMIT. Nothing is written outside it (each such write is a commit of its own).
 */
describe('an in-app send in one transaction', () => {
  let pool: Pool;
  let deliverMessage: ReturnType<typeof createMessageActivities>['deliverMessage'];

  beforeAll(() => {
    pool = testPool();
    ({ deliverMessage } = createMessageActivities({ pool, senders: { in_app: createInAppSender({ pool }) }, now: () => new Date('2026-03-10T12:00:00Z') }));
  });

  afterAll(async () => {
    await pool.end();
  });

  it('commits once, with the decision, the entry, the inbox row and the outcome inside', async () => {
    const user = await createProfile(pool, { label: 'one-tx', email: 'one-tx@example.com', timezone: 'UTC' });
    const campaignId = `one-tx-${Date.now().toString(36)}`;
    const entry = { campaignId, campaignVersion: 1, pseudonym: user.pseudonym, entry: 1, variant: 'control', heldOut: false, enteredAt: '2026-03-10T11:59:00.000Z' };
    const input = messageInput(user.pseudonym, { channel: 'in_app', title: 'Hi', body: 'Once' }, { campaignId, entry });
    // The delivery policy is cached for a second: read it before the trace, as a busy worker would have.
    await runActivity(deliverMessage, messageInput(user.pseudonym, { channel: 'in_app', title: 'Warm', body: 'up' }));

    const statements = await statementsOf(() => runActivity(deliverMessage, input));
    const verbs = statements.map((text) => text.split(' ')[0]!.toUpperCase());
    expect(verbs[0]).toBe('BEGIN');
    expect(verbs.at(-1)).toBe('COMMIT');
    expect(verbs.filter((verb) => verb === 'BEGIN' || verb === 'COMMIT')).toEqual(['BEGIN', 'COMMIT']);
    expect(statements.filter((text) => /^INSERT INTO (inbox_messages|deliveries|experiment_entries)/.test(text)).map((text) => text.split(' ')[2])).toEqual([
      'experiment_entries',
      'inbox_messages',
      'deliveries',
    ]);
    expect(statements).toHaveLength(7);
  });
});

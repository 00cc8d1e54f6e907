import { welcomeCampaign } from './builtin-campaigns';
import { deliveryKey } from './campaign';
import { campaignsEnteredBy } from './triggers';

const at = '2026-01-01T00:00:00.000Z';

describe('campaignsEnteredBy', () => {
  it('enters the welcome campaign on Signed Up only', () => {
    const signedUp = { messageId: '1', event: 'Signed Up', properties: {}, timestamp: at, receivedAt: at };
    expect(campaignsEnteredBy([welcomeCampaign], signedUp)).toEqual([welcomeCampaign]);
    expect(campaignsEnteredBy([welcomeCampaign], { ...signedUp, event: 'Signed up' })).toEqual([]);
  });
});

describe('deliveryKey', () => {
  it('differs for each campaign version, user, entry and step', () => {
    const keys = new Set([
      deliveryKey({ id: 'c', version: 1 }, 'u', 1, 0),
      deliveryKey({ id: 'c', version: 2 }, 'u', 1, 0),
      deliveryKey({ id: 'c', version: 1 }, 'v', 1, 0),
      deliveryKey({ id: 'c', version: 1 }, 'u', 2, 0),
      deliveryKey({ id: 'c', version: 1 }, 'u', 1, 1),
    ]);
    expect(keys.size).toBe(5);
  });
});

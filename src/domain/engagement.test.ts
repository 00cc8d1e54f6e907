import fc from 'fast-check';
import { deliveryKey } from './campaign/campaign-model';
import { engagementEvent, engagementMessageId, MESSAGE_CLICKED, MESSAGE_OPENED, parseDeliveryKey } from './engagement';

const now = new Date('2026-03-01T09:30:00Z');
const key = deliveryKey({ id: 'advanced-features-nudge', version: 3 }, 'Xy-z_09abcdefghijklmnop', 2, 'email-next-day');

describe('parseDeliveryKey', () => {
  it('reads back every part of a key made by deliveryKey', () => {
    const identifier = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/);
    const pseudonym = fc.stringMatching(/^[A-Za-z0-9_-]{22}$/);
    fc.assert(
      fc.property(identifier, fc.integer({ min: 1, max: 9999 }), pseudonym, fc.integer({ min: 1, max: 9999 }), identifier, (id, version, p, entry, step) => {
        expect(parseDeliveryKey(deliveryKey({ id, version }, p, entry, step))).toEqual({
          campaignId: id,
          campaignVersion: version,
          pseudonym: p,
          entry,
          stepId: step,
        });
      }),
    );
  });

  it.each(['', 'a:b', 'c:1:p:1:s', 'c:v0:p:1:s', 'c:v1:p:x:s', 'c:v1::1:s', 'c:v1:p:1:s:extra', 'c:v1:p:1:'])('rejects %j', (text) => {
    expect(parseDeliveryKey(text)).toBeUndefined();
  });
});

describe('engagementEvent', () => {
  it('turns an open into Message Opened with campaign, version, step, entry and channel', () => {
    expect(engagementEvent({ kind: 'opened', deliveryKey: key, channel: 'email' }, now)).toEqual({
      messageId: `opened:${key}`,
      event: MESSAGE_OPENED,
      properties: { campaignId: 'advanced-features-nudge', campaignVersion: 3, stepId: 'email-next-day', entry: 2, channel: 'email' },
      timestamp: '2026-03-01T09:30:00.000Z',
      receivedAt: '2026-03-01T09:30:00.000Z',
    });
  });

  it('turns a click into Message Clicked carrying the url', () => {
    const event = engagementEvent({ kind: 'clicked', deliveryKey: key, channel: 'email', url: 'https://example.com/a' }, now);
    expect(event?.event).toBe(MESSAGE_CLICKED);
    expect(event?.properties).toEqual(expect.objectContaining({ url: 'https://example.com/a', channel: 'email', stepId: 'email-next-day' }));
  });

  it('is undefined for a key Beckon did not make', () => {
    expect(engagementEvent({ kind: 'opened', deliveryKey: 'nonsense', channel: 'email' }, now)).toBeUndefined();
  });
});

describe('engagementMessageId', () => {
  it('is the same for a repeated open, so the user workflow counts it once', () => {
    expect(engagementMessageId({ kind: 'opened', deliveryKey: key, channel: 'email' })).toBe(
      engagementMessageId({ kind: 'opened', deliveryKey: key, channel: 'email' }),
    );
  });

  it('tells clicks on different links apart and keeps each one short', () => {
    fc.assert(
      fc.property(fc.webUrl(), fc.webUrl(), (a, b) => {
        const first = engagementMessageId({ kind: 'clicked', deliveryKey: key, channel: 'email', url: a });
        const second = engagementMessageId({ kind: 'clicked', deliveryKey: key, channel: 'email', url: b });
        expect(first === second).toBe(a === b);
        expect(first.length).toBeLessThanOrEqual(`clicked:${key}:`.length + 16);
      }),
    );
  });
});

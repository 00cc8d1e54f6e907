import { MAX_RETRY_AFTER_MS, retryAfterMs, smtpRetryAfterMs } from './retry-after';

describe('retryAfterMs', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');

  it('reads delay-seconds and HTTP-dates', () => {
    expect(retryAfterMs('7', now)).toBe(7_000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs('Sun, 01 Mar 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Sun, 01 Mar 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores what is absent or unreadable, and bounds what is too long', () => {
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('', now)).toBeUndefined();
    expect(retryAfterMs('-5', now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('86400', now)).toBe(MAX_RETRY_AFTER_MS);
  });
});

describe('smtpRetryAfterMs', () => {
  it('reads the waits servers write in their replies', () => {
    expect(smtpRetryAfterMs('451 4.7.0 Try again in 5 minutes')).toBe(300_000);
    expect(smtpRetryAfterMs('450 4.2.0 <a@b.c>: Recipient address rejected: Greylisted, please retry in 300 seconds')).toBe(300_000);
    expect(smtpRetryAfterMs('421 Too many connections, try again after 30s')).toBe(30_000);
  });

  it('says nothing when the reply names no wait', () => {
    expect(smtpRetryAfterMs('451 4.3.0 Temporary local problem')).toBeUndefined();
  });
});

import { createHmac } from 'node:crypto';
import { messageIdFor, trackHtml } from './email-sender';
import { webhookSignature } from './webhook-sender';

const link = (purpose: 'open' | 'click', url?: string) => (purpose === 'open' ? 'https://b.test/o/T' : `https://b.test/c/${encodeURIComponent(url ?? '')}`);

describe('trackHtml', () => {
  it('rewrites http(s) links in either quote style, leaves mailto and anchors, and puts the pixel before </body>', () => {
    const html = `<html><body><a href="https://x.test/a?b=1&amp;c=2">A</a> <a class='k' href='http://y.test'>B</a> <a href="mailto:me@x.test">M</a> <a href="#top">T</a></body></html>`;
    expect(trackHtml(html, link)).toBe(
      `<html><body><a href="https://b.test/c/https%3A%2F%2Fx.test%2Fa%3Fb%3D1%26c%3D2">A</a> <a class='k' href='https://b.test/c/http%3A%2F%2Fy.test'>B</a> ` +
        `<a href="mailto:me@x.test">M</a> <a href="#top">T</a><img src="https://b.test/o/T" width="1" height="1" alt="" style="display:none"></body></html>`,
    );
  });

  it('appends the pixel to a fragment without a body', () => {
    expect(trackHtml('<p>Hi</p>', link)).toBe('<p>Hi</p><img src="https://b.test/o/T" width="1" height="1" alt="" style="display:none">');
  });
});

describe('messageIdFor', () => {
  it('is the same for the same delivery, different for another, and names the From domain', () => {
    const a = messageIdFor('c:v1:p:1:s', 'Beckon <hi@news.example.com>');
    expect(a).toBe(messageIdFor('c:v1:p:1:s', 'Beckon <hi@news.example.com>'));
    expect(a).not.toBe(messageIdFor('c:v1:p:1:t', 'Beckon <hi@news.example.com>'));
    expect(a).toMatch(/^<[0-9a-f]{32}@news\.example\.com>$/);
    expect(messageIdFor('k', 'plain@example.org')).toMatch(/@example\.org>$/);
  });
});

describe('webhookSignature', () => {
  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "t.body">', () => {
    const body = '{"a":1}';
    expect(webhookSignature('s3cret-s3cret-s3cret', 1700000000, body)).toBe(
      `t=1700000000,v1=${createHmac('sha256', 's3cret-s3cret-s3cret').update(`1700000000.${body}`).digest('hex')}`,
    );
  });
});

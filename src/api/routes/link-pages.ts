/** The few HTML pages a recipient sees after following a link in a message: plain, no scripts, no outside assets. */

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5}button{font-size:1rem;padding:.5rem 1rem}</style>
</head><body><h1>${escape(title)}</h1>${body}</body></html>`;
}

/** Asks before unsubscribing: the form posts to the same URL, as the RFC 8058 one-click POST does. */
export function unsubscribePage(what: string): string {
  return page(
    'Unsubscribe',
    `<p>Stop receiving ${escape(what)} from us?</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
  );
}

export function unsubscribedPage(what: string): string {
  return page('You are unsubscribed', `<p>You will receive no more ${escape(what)} from us.</p>`);
}

export function linkErrorPage(reason: string): string {
  return page('This link does not work', `<p>${escape(reason)}</p><p>It may have been copied incompletely. Nothing was changed.</p>`);
}

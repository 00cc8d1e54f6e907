// The console's shell: log in, the date range chosen once for every view, routing by the URL's hash, errors.
import { api, ApiUnreachableError, session, TokenRejectedError } from './console-api.js';
import { renderCampaignList } from './console-campaign-list.js';
import { renderCampaignPage } from './console-campaign-page.js';
import { clear, h } from './console-dom.js';

const RANGE_KEY = 'beckon.console.range';
const DAY_MS = 86_400_000;
const $ = (id) => document.getElementById(id);

const utcDay = (ms) => new Date(ms).toISOString().slice(0, 10);

/** The stats API's own default: the 30 UTC days up to today. */
function defaultRange() {
  const to = utcDay(Date.now());
  return { from: utcDay(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS), to };
}

/** The route from the hash: `#/campaigns` or `#/campaigns/<id>`, with `from`, `to` (and `version`) after `?`. */
function currentRoute() {
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const kept = JSON.parse(sessionStorage.getItem(RANGE_KEY) ?? 'null') ?? defaultRange();
  const range = { from: params.get('from') ?? kept.from, to: params.get('to') ?? kept.to };
  const match = /^\/campaigns\/([^/]+)$/.exec(path ?? '');
  const version = params.get('version');
  return match
    ? { view: 'campaign', campaignId: decodeURIComponent(match[1]), range, version: version ? Number(version) : undefined }
    : { view: 'list', range };
}

/** A hash for a view at a range; the console's links all go through it, so the range stays chosen. */
function hrefFor(view, range, extra = {}) {
  const query = new URLSearchParams({ from: range.from, to: range.to });
  if (extra.version) query.set('version', String(extra.version));
  return view === 'list' ? `#/campaigns?${query}` : `#/campaigns/${encodeURIComponent(view)}?${query}`;
}

const state = { me: undefined, settings: { temporalUiUrl: null, namespace: 'default' }, renderId: 0 };

function showBanner(message, action) {
  const banner = clear($('banner'));
  banner.append(h('p', {}, message));
  if (action) banner.append(h('button', { type: 'button', onclick: action.run }, action.label));
  banner.hidden = false;
}

function hideBanner() {
  $('banner').hidden = true;
  clear($('banner'));
}

/** Back to the login form, the token forgotten, with why. */
function showLogin(reason = '') {
  session.logOut();
  state.me = undefined;
  $('who').hidden = true;
  $('range').hidden = true;
  clear($('view'));
  $('login-reason').textContent = reason;
  $('login').hidden = false;
  $('token').value = '';
  $('token').focus();
}

/** What to do with an error of a view: log in again, say the API is away, or say what the API said. */
export function handleError(err) {
  if (err instanceof TokenRejectedError) {
    showLogin(`Your token was refused, so you were logged out: ${err.message}`);
  } else if (err instanceof ApiUnreachableError) {
    showBanner(err.message, { label: 'Retry', run: () => void render() });
  } else {
    showBanner(err.message);
  }
}

async function render() {
  const renderId = ++state.renderId;
  hideBanner();
  if (!session.token()) return showLogin();
  try {
    state.me ??= await api('/v1/ops/whoami');
  } catch (err) {
    return handleError(err);
  }
  const route = currentRoute();
  sessionStorage.setItem(RANGE_KEY, JSON.stringify(route.range));
  $('login').hidden = true;
  $('who').hidden = false;
  $('who-name').textContent = `${state.me.name} (${state.me.scopes.join(', ')})`;
  const form = $('range');
  form.hidden = false;
  form.elements.from.value = route.range.from;
  form.elements.to.value = route.range.to;
  const view = clear($('view'));
  view.setAttribute('aria-busy', 'true');
  const context = {
    me: state.me,
    settings: state.settings,
    range: route.range,
    canOperate: state.me.scopes.some((scope) => scope === 'operate' || scope === 'admin'),
    stale: () => renderId !== state.renderId,
    handleError,
    hrefFor,
    rerender: () => void render(),
  };
  try {
    if (route.view === 'campaign') await renderCampaignPage(view, { ...context, campaignId: route.campaignId, version: route.version });
    else await renderCampaignList(view, context);
  } catch (err) {
    if (renderId === state.renderId) handleError(err);
  } finally {
    view.removeAttribute('aria-busy');
  }
}

function wire() {
  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('token').value.trim();
    if (!token) return;
    session.logIn(token);
    state.me = undefined;
    void render();
  });
  $('logout').addEventListener('click', () => showLogin('You logged out; the token is forgotten.'));
  $('range').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const range = { from: form.elements.from.value, to: form.elements.to.value };
    if (!range.from || !range.to) return;
    if (range.from > range.to) return showBanner('The range starts after it ends: pick a "from" day on or before the "to" day.');
    const route = currentRoute();
    location.hash = route.view === 'campaign' ? hrefFor(route.campaignId, range, { version: route.version }) : hrefFor('list', range);
  });
  window.addEventListener('hashchange', () => void render());
}

async function start() {
  wire();
  try {
    const response = await fetch('/console/settings.json', { cache: 'no-store' });
    if (response.ok) state.settings = await response.json();
  } catch {
    // The render below meets the same outage and says so.
  }
  await render();
}

void start();

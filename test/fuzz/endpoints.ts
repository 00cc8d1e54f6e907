import type { Payload } from '@temporalio/common';
import fc from 'fast-check';
import { stringify as stringifyYaml } from 'yaml';
import { CHANNELS } from '../../src/domain/campaign/campaign-schema';
import type { LinkSigner } from '../../src/privacy/signed-links';
import { campaignText, junkCampaignText, mutatedCampaign, validCampaign } from './campaign-text';
import {
  anyJson,
  encodedBody,
  encodeSegment,
  headerText,
  jsonBody,
  junkBody,
  junkQuery,
  junkSegment,
  nastyNumber,
  nastyString,
  nastyValue,
  wrongTypeFor,
  type EncodedBody,
  type RawRequest,
  type RawResponse,
} from './fuzz-kit';

/**
 * One arbitrary per route of the API, keyed `METHOD /path` as Fastify registers it. The fuzz test
 * fails when a registered route has no entry here, so a new route cannot go unfuzzed.
 */

export interface FuzzContext {
  writeKey: string;
  /** The fuzz source's signing key (its client routes require user tokens), and what it signs. */
  signingKey: string;
  userToken: (userId: string, expiresAt?: number) => string;
  streamTicket: (userId: string, expiresAt?: number) => string;
  /** The write key of a source made before user tokens (clientAuth optional). */
  openWriteKey: string;
  tokens: { read: string; operate: string; admin: string };
  linkSigner: LinkSigner;
  /** Payloads encrypted with the deployment's codec, as the Web UI sends them back. */
  encryptedPayloads: Payload[];
}

export interface EndpointSpec {
  /** Requests of every kind: any credentials, any path parameters and query, any body. */
  requests: (ctx: FuzzContext) => fc.Arbitrary<RawRequest>;
  /** Valid credentials and a body with one field of the wrong type: the answer must be 400 naming that field. */
  oneBadField?: (ctx: FuzzContext) => fc.Arbitrary<{ request: RawRequest; field: string }>;
  /** Link routes answer a person: their 4xx is an HTML page that says what is wrong with the link. */
  htmlErrors?: boolean;
  /** Further checks of an answer; each string returned is a fault. */
  check?: (response: RawResponse) => string[];
}

/** The users whose events the fuzz sends most often, so accepted events pile up in a few workflows. */
export const FUZZ_USERS = ['fuzz-user-1', 'fuzz-user-2', 'fuzz-user-3', 'fuzz visitor 4', 'fuzz-ünicode-5'];
/** Campaigns the ops fuzz may publish and operate on; the shipped ones are left alone so the canary can rely on them. */
const FUZZ_CAMPAIGNS = ['fuzz-a', 'fuzz-b'];

export const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

function request(method: fc.Arbitrary<string>, path: fc.Arbitrary<string>, auth: fc.Arbitrary<Record<string, string>>, body?: fc.Arbitrary<EncodedBody>): fc.Arbitrary<RawRequest> {
  return fc.record({ method, path, auth, body: body ?? fc.constant<EncodedBody>({ headers: {} }), extra: extraHeaders }).map(({ method: m, path: p, auth: a, body: b, extra }) => ({
    method: m,
    path: p,
    headers: { ...extra, ...b.headers, ...a },
    ...(b.body !== undefined && { body: b.body }),
  }));
}

/** Headers some clients send and a server might trip over. */
const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({}) },
  fc.record(
    {
      'x-forwarded-for': headerText,
      'user-agent': headerText,
      accept: fc.constantFrom('*/*', 'text/html', 'application/json', 'text/event-stream', 'garbage'),
      'accept-encoding': fc.constantFrom('gzip', 'br', 'identity', '*'),
      origin: fc.constantFrom('http://127.0.0.1:8233', 'http://localhost:8233', 'null', 'http://evil.test'),
      'last-event-id': fc.oneof(fc.constantFrom('0', '1', '9223372036854775807', '9223372036854775808', '99999999999999999999', '-1'), headerText),
      'x-namespace': headerText,
    },
    { requiredKeys: [] },
  ),
);

// ---- credentials ----

function writeKeyAuth(ctx: FuzzContext): fc.Arbitrary<Record<string, string>> {
  return fc.oneof(
    { weight: 14, arbitrary: fc.constant({ authorization: basic(ctx.writeKey) }) },
    fc.constant({}),
    headerText.map((text) => ({ authorization: text })),
    headerText.map((text) => ({ authorization: `Basic ${text}` })),
    fc.string().map((text) => ({ authorization: basic(text) })),
    fc.stringMatching(/^src_[A-Za-z0-9_-]{8,12}\.[A-Za-z0-9_-]{20,30}$/).map((key) => ({ authorization: basic(key) })),
    fc.constant({ authorization: `Basic ${Buffer.from(`${ctx.writeKey}x:`).toString('base64')}` }),
    fc.constant({ authorization: `Bearer ${ctx.tokens.admin}` }),
  );
}

function adminAuth(ctx: FuzzContext): fc.Arbitrary<Record<string, string>> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant({ authorization: `Bearer ${ctx.tokens.admin}` }) },
    { weight: 2, arbitrary: fc.constantFrom(ctx.tokens.read, ctx.tokens.operate).map((token) => ({ authorization: `Bearer ${token}` })) },
    fc.constant({}),
    headerText.map((text) => ({ authorization: `Bearer ${text}` })),
    headerText.map((text) => ({ authorization: text })),
    fc.stringMatching(/^bk_admin_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/).map((token) => ({ authorization: `Bearer ${token}` })),
    fc.constant({ authorization: `bearer   ${ctx.tokens.admin}   ` }),
    fc.constant({ authorization: basic(ctx.writeKey) }),
  );
}

/** Credentials of the client routes, for the user `userId` when they name one: theirs, another's, expired, altered, the wrong kind, none. */
function clientAuth(ctx: FuzzContext, userId: string): fc.Arbitrary<Record<string, string>> {
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const past = Math.floor(Date.now() / 1000) - 60;
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant(bearer(ctx.userToken(userId))) },
    { weight: 2, arbitrary: fc.constant(bearer(ctx.signingKey)) },
    fc.constantFrom(...FUZZ_USERS).map((other) => bearer(ctx.userToken(other))),
    fc.constant(bearer(ctx.userToken(userId, past))),
    fc.constant(bearer(`${ctx.userToken(userId).slice(0, -2)}AA`)),
    fc.constant(bearer(ctx.streamTicket(userId))),
    fc.constant({ authorization: basic(ctx.writeKey) }),
    fc.constant({ authorization: basic(ctx.openWriteKey) }),
    fc.constant({}),
    headerText.map((text) => bearer(`ut1.${text}`)),
    fc.tuple(nastyString, headerText).map(([a, b]) => bearer(`ut1.src_fuzzfuzz.${Buffer.from(a).toString('base64url')}.${b}`)),
    headerText.map((text) => ({ authorization: text })),
    fc.constant(bearer(ctx.tokens.admin)),
  );
}

/** A client route request: mostly for one of the fuzz users with credentials chosen for them, sometimes for any path segment at all. */
function userRequest(
  ctx: FuzzContext,
  method: fc.Arbitrary<string>,
  path: (userSegment: string) => fc.Arbitrary<string>,
  body?: fc.Arbitrary<EncodedBody>,
): fc.Arbitrary<RawRequest> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...FUZZ_USERS).chain((user) => request(method, path(encodeSegment(user)), clientAuth(ctx, user), body)) },
    { weight: 1, arbitrary: userSegment.chain((segment) => request(method, path(segment), clientAuth(ctx, FUZZ_USERS[0]!), body)) },
  );
}

const validAdmin = (ctx: FuzzContext) => ({ authorization: `Bearer ${ctx.tokens.admin}` });
const validUser = (ctx: FuzzContext, userId: string) => ({ authorization: `Bearer ${ctx.userToken(userId)}` });
const validSource = (ctx: FuzzContext) => ({ authorization: basic(ctx.writeKey) });
const none = fc.constant<Record<string, string>>({});

// ---- path parameters ----

const segment = (...plausible: string[]) => fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...plausible).map(encodeSegment) }, { weight: 3, arbitrary: junkSegment });
const userSegment = segment(...FUZZ_USERS, 'nobody-at-all');
const messageIdSegment = fc.oneof(
  fc.nat().map(String),
  fc.constantFrom('0', '1', '01', '-1', '1.5', '1e3', '9223372036854775807', '9223372036854775808', '9999999999999999999', '99999999999999999999'),
  junkSegment,
);
const campaignSegment = segment(...FUZZ_CAMPAIGNS, 'fuzz-none', 'Welcome', 'a'.repeat(64));
const entrySegment = fc.oneof(fc.nat().map(String), fc.constantFrom('0', '-1', '1.5', '1e300', 'NaN', 'Infinity', '0x10', '%201'), junkSegment);

function linkToken(ctx: FuzzContext): fc.Arbitrary<string> {
  const claims = fc.record({
    purpose: fc.oneof(fc.constantFrom('unsubscribe', 'open', 'click'), nastyString),
    deliveryKey: fc.oneof(fc.constantFrom('welcome:v1:nobody:1:welcome'), fc.string()),
    pseudonym: fc.oneof(fc.constantFrom('nobody', 'x'.repeat(43)), fc.string()),
    channel: fc.oneof(fc.constantFrom(...CHANNELS, 'fax'), fc.string()),
    url: fc.oneof(fc.webUrl(), fc.constantFrom('javascript:alert(1)', '//evil.test', 'ftp://x', ''), fc.string()),
  });
  return fc.oneof(
    claims.map((c) => ctx.linkSigner.sign(c as Parameters<LinkSigner['sign']>[0])),
    fc.tuple(fc.string(), fc.string()).map(([a, b]) => `${a}.${b}`),
    claims.map((c) => `${ctx.linkSigner.sign(c as Parameters<LinkSigner['sign']>[0])}x`),
    nastyString,
  );
}

// ---- bodies ----

/** Objects of the right general shape: each field a good value, a nasty one, or left out, and sometimes odd extra keys. */
function plausible(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const shaped = fc.record(
    Object.fromEntries(Object.entries(fields).map(([key, good]) => [key, fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: nastyValue })])),
    { requiredKeys: [] },
  );
  return fc.tuple(shaped, fc.option(fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'extra', 'type', '', 'prototype'), nastyValue, { maxKeys: 2 }), { freq: 4 })).map(
    ([object, extra]) => ({ ...(extra ?? {}), ...object }),
  );
}

const recentIso = fc.date({ min: new Date(Date.now() - 400 * 86_400_000), max: new Date(Date.now() + 3_600_000), noInvalidDate: true }).map((d) => d.toISOString());
const isoish = fc.oneof({ weight: 3, arbitrary: recentIso }, { weight: 1, arbitrary: nastyString });
const idValue = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FUZZ_USERS) }, nastyString, nastyNumber);
const eventName = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('Signed Up', 'Viewed Pricing', 'Opened App', 'Completed Purchase', 'Used Advanced Feature', 'Viewed Advanced Feature') },
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'count', 'lastAt'),
  nastyString,
);
const bag = fc.oneof(fc.dictionary(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'plan', 'email')), nastyValue, { maxKeys: 5 }), wrongTypeFor('object'));
const contextValue = fc.oneof(
  bag,
  plausible({
    timezone: fc.constantFrom('Europe/Berlin', 'America/New_York', 'Mars/Base', 'UTC', 'utc', ''),
    locale: fc.constantFrom('en-US', 'de', '', 'xx'),
    device: plausible({ token: fc.oneof(fc.string(), fc.constant('t'.repeat(5000))), type: fc.constantFrom('ios', 'android', 'web') }),
  }),
);

const common = {
  userId: idValue,
  anonymousId: idValue,
  messageId: fc.oneof(fc.uuid(), nastyString),
  timestamp: isoish,
  originalTimestamp: isoish,
  sentAt: isoish,
  context: contextValue,
  integrations: bag,
};

const traits = fc.oneof(
  plausible({
    email: fc.oneof(fc.emailAddress(), fc.constantFrom('not-an-email', 'A@B.C', '')),
    phone: fc.constantFrom('+49 30 1234567', 'call me', '', '+' + '1'.repeat(40)),
    timezone: fc.constantFrom('Europe/Berlin', 'Nowhere/Else', ''),
    locale: fc.constantFrom('en', ''),
    firstName: nastyString,
    plan: fc.constantFrom('pro', 'free'),
  }),
  bag,
);

/** A valid call with one field (any, the required ones included) given a nasty value: most of these are taken, and reach the workflows. */
function nearlyValid(valid: Record<string, unknown>, fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .constantFrom(...Object.keys(fields))
    .chain((field) => fc.oneof({ weight: 3, arbitrary: fields[field]! }, { weight: 1, arbitrary: nastyValue }).map((value) => ({ ...valid, [field]: value })));
}

/** Mostly calls with one nasty field (most are taken), and some wrong all over. */
const mix = (wrong: fc.Arbitrary<Record<string, unknown>>, nearly: fc.Arbitrary<Record<string, unknown>>) => fc.oneof({ weight: 1, arbitrary: wrong }, { weight: 2, arbitrary: nearly });
const viewFields = { ...common, name: nastyString, category: nastyString, properties: bag };

const callContent = {
  track: mix(plausible({ ...common, event: eventName, properties: bag }), nearlyValid({ userId: FUZZ_USERS[0], event: 'Fuzzed' }, { ...common, event: eventName, properties: bag })),
  identify: mix(plausible({ ...common, traits }), nearlyValid({ userId: FUZZ_USERS[1], traits: { plan: 'pro' } }, { ...common, traits })),
  page: mix(plausible(viewFields), nearlyValid({ anonymousId: 'fuzz-anon', name: 'Home' }, viewFields)),
  screen: mix(plausible(viewFields), nearlyValid({ userId: FUZZ_USERS[2], name: 'Home' }, viewFields)),
  alias: mix(plausible({ ...common, previousId: idValue }), nearlyValid({ userId: FUZZ_USERS[3], previousId: 'fuzz-anon' }, { ...common, previousId: idValue })),
  group: mix(plausible({ ...common, groupId: idValue, traits }), nearlyValid({ userId: FUZZ_USERS[0], groupId: 'fuzz-group', traits: { plan: 'pro' } }, { ...common, groupId: idValue, traits })),
};


const batchItem = fc.oneof(
  ...(['track', 'identify', 'page', 'screen', 'alias', 'group'] as const).map((type) =>
    callContent[type].map((message) => ({ type, ...message })),
  ),
  nastyValue,
);
const batchContent = fc.oneof(
  { weight: 5, arbitrary: fc.record({ batch: fc.array(batchItem, { minLength: 1, maxLength: 6 }) }) },
  { weight: 3, arbitrary: plausible({ batch: fc.array(batchItem, { maxLength: 6 }), sentAt: isoish, context: contextValue, integrations: bag, writeKey: nastyString }) },
  fc.constant({ batch: new Array(2501).fill(null) }),
  anyJson,
);

const consentContent = fc.oneof(
  {
    weight: 4,
    arbitrary: plausible({
      consents: fc.array(
        plausible({ channel: fc.oneof(fc.constantFrom(...CHANNELS), nastyString), category: fc.oneof(fc.constantFrom('*', 'marketing', 'product-updates'), nastyString), granted: fc.boolean() }),
        { maxLength: 4 },
      ),
      source: fc.oneof(fc.constantFrom('api', 'preference-center'), nastyString),
    }),
  },
  anyJson,
);

/**
 * A definition for publishing: its id and entry event are the fuzz's own, so a valid one never
 * touches a shipped campaign or a real user. (The whole of `campaignText` would not do: a mutated
 * shipped campaign that stays valid would publish a new version of it into the database the other
 * test files share, and a valid one entered by Signed Up would message their users.)
 */
const publishableText = fc.oneof(
  junkCampaignText,
  fc.oneof(mutatedCampaign.map((m) => m.definition), validCampaign).chain((definition) => {
    const own = { ...definition };
    if (typeof own.id === 'string') own.id = FUZZ_CAMPAIGNS[own.id.length % FUZZ_CAMPAIGNS.length];
    if (own.entry && typeof own.entry === 'object' && !Array.isArray(own.entry)) own.entry = { ...own.entry, event: 'Fuzz Entry Never Sent' };
    return fc.constantFrom(stringifyYaml(own), JSON.stringify(own));
  }),
);
const textBody = (text: fc.Arbitrary<string>) => fc.oneof({ weight: 5, arbitrary: plausible({ text, source: nastyString }) }, anyJson);

const reasonContent = fc.oneof(plausible({ reason: nastyString }), anyJson);

/** Ops may omit the body of lifecycle calls; some clients send none at all, or an empty one. */
const optionalBody = (content: fc.Arbitrary<unknown>) => fc.oneof({ weight: 4, arbitrary: encodedBody(content) }, fc.constant<EncodedBody>({ headers: {} }), fc.constant<EncodedBody>({ headers: { 'content-type': 'application/json' }, body: Buffer.alloc(0) }));

// ---- one wrong field ----

type Kind = 'string' | 'object' | 'array' | 'boolean' | 'number';

/** A valid body with one field replaced by a value of the wrong type; the 400 must name `prefix + field`. */
function oneBadField(
  method: string,
  path: fc.Arbitrary<string> | string,
  auth: Record<string, string>,
  valid: Record<string, unknown>,
  fields: Record<string, Kind>,
  prefix = '',
): fc.Arbitrary<{ request: RawRequest; field: string }> {
  return fc
    .record({ field: fc.constantFrom(...Object.keys(fields)), path: typeof path === 'string' ? fc.constant(path) : path })
    // A prototype key is refused by Fastify's JSON parser for the whole body, before any field is looked at.
    .chain(({ field, path: p }) => wrongTypeFor(fields[field]!).filter((value) => !/"(__proto__|constructor)":/.test(JSON.stringify(value) ?? '')).map((value) => ({ field, value, path: p })))
    .map(({ field, value, path: p }) => {
      const body = jsonBody({ ...valid, [field]: value });
      return { field: `${prefix}${field}`, request: { method, path: p, headers: { ...body.headers, ...auth }, body: body.body } };
    });
}

const segmentFields: Record<string, Kind> = { messageId: 'string', timestamp: 'string', sentAt: 'string', context: 'object', integrations: 'object' };

// ---- the table ----

const ingest = (type: keyof typeof callContent, validBody: Record<string, unknown>, fields: Record<string, Kind>): EndpointSpec => ({
  requests: (ctx) => request(fc.constant('POST'), fc.oneof(fc.constant(`/v1/${type}`), junkQuery().map((q) => `/v1/${type}${q}`)), writeKeyAuth(ctx), encodedBody(callContent[type])),
  oneBadField: (ctx) => oneBadField('POST', `/v1/${type}`, validSource(ctx), validBody, { ...segmentFields, ...fields }),
});

const get = fc.constantFrom('GET', 'GET', 'HEAD');
const withQuery = (path: fc.Arbitrary<string>, names: string[] = []) => fc.tuple(path, junkQuery(names)).map(([p, q]) => `${p}${q}`);
const userGet = (ctx: FuzzContext, suffix: string, names: string[] = []) => userRequest(ctx, get, (user) => withQuery(fc.constant(`/v1/users/${user}${suffix}`), names));
const inboxAction = (action: string): EndpointSpec => ({
  requests: (ctx) =>
    userRequest(
      ctx,
      fc.constant('POST'),
      (user) => messageIdSegment.map((id) => `/v1/users/${user}/inbox/${id}/${action}`),
      fc.oneof(encodedBody(plausible({ url: fc.oneof(fc.webUrl(), nastyString) })), fc.constant<EncodedBody>({ headers: {} })),
    ),
  ...(action === 'click' && {
    oneBadField: (ctx: FuzzContext) =>
      oneBadField('POST', `/v1/users/${FUZZ_USERS[0]}/inbox/1/click`, validUser(ctx, FUZZ_USERS[0]!), { url: 'https://example.test/' }, { url: 'string' }, 'body.'),
  }),
});
const consentWrite = (method: string): EndpointSpec => ({
  requests: (ctx) => userRequest(ctx, fc.constant(method), (user) => fc.constant(`/v1/users/${user}/consent`), encodedBody(consentContent)),
  oneBadField: (ctx) =>
    oneBadField(method, `/v1/users/${FUZZ_USERS[0]}/consent`, validUser(ctx, FUZZ_USERS[0]!), { consents: [{ channel: 'email', granted: true }], source: 'api' }, { consents: 'array', source: 'string' }, 'body.'),
});
/** A browser's CORS preflight: no credentials, an origin (from the extra headers, sometimes one the fuzz source allows), what it means to send. */
const preflight = (suffix: string): EndpointSpec => ({
  requests: (ctx) =>
    request(
      fc.constant('OPTIONS'),
      fc.tuple(userSegment, messageIdSegment).map(([user, id]) => `/v1/users/${user}${suffix.replace(':messageId', id)}`),
      fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, clientAuth(ctx, FUZZ_USERS[0]!)),
      fc
        .record(
          {
            'access-control-request-method': fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'nonsense'),
            'access-control-request-headers': fc.constantFrom('authorization', 'authorization, content-type', 'x-evil'),
          },
          { requiredKeys: [] },
        )
        .map((headers) => ({ headers })),
    ),
});
const linkGet = (prefix: string): EndpointSpec => ({
  requests: (ctx) => request(get, linkToken(ctx).map((token) => `${prefix}${encodeSegment(token)}`), none),
  htmlErrors: true,
});
const opsCampaignPost = (action: string, content: fc.Arbitrary<unknown>, bad?: { valid: Record<string, unknown>; fields: Record<string, Kind> }): EndpointSpec => ({
  requests: (ctx) => request(fc.constant('POST'), campaignSegment.map((id) => `/v1/ops/campaigns/${id}/${action}`), adminAuth(ctx), optionalBody(content)),
  ...(bad && { oneBadField: (ctx: FuzzContext) => oneBadField('POST', `/v1/ops/campaigns/fuzz-none/${action}`, validAdmin(ctx), bad.valid, bad.fields) }),
});

/** 200 from validate says valid or lists problems, each with a path and a reason. */
function validateAnswer(response: RawResponse): string[] {
  if (response.status !== 200) return [];
  const body = JSON.parse(response.text) as { valid?: unknown; problems?: { path?: unknown; reason?: unknown }[] };
  if (body.valid === true) return [];
  if (body.valid !== false || !Array.isArray(body.problems) || body.problems.length === 0) return [`validate answered ${response.text.slice(0, 200)}`];
  return body.problems.filter((p) => typeof p.path !== 'string' || typeof p.reason !== 'string' || p.reason === '').map((p) => `a problem without path or reason: ${JSON.stringify(p)}`);
}

export const ENDPOINTS: Record<string, EndpointSpec> = {
  'POST /v1/track': ingest('track', { userId: FUZZ_USERS[0], event: 'Fuzzed' }, { userId: 'string', event: 'string', properties: 'object' }),
  'POST /v1/identify': ingest('identify', { userId: FUZZ_USERS[0], traits: { plan: 'pro' } }, { userId: 'string', anonymousId: 'string', traits: 'object' }),
  'POST /v1/page': ingest('page', { anonymousId: 'fuzz-anon', name: 'Home' }, { anonymousId: 'string', name: 'string', category: 'string', properties: 'object' }),
  'POST /v1/screen': ingest('screen', { userId: FUZZ_USERS[1], name: 'Home' }, { userId: 'string', name: 'string', properties: 'object' }),
  'POST /v1/alias': ingest('alias', { userId: FUZZ_USERS[2], previousId: 'fuzz-anon' }, { userId: 'string', previousId: 'string' }),
  'POST /v1/group': ingest('group', { userId: FUZZ_USERS[0], groupId: 'fuzz-group', traits: { plan: 'pro' } }, { userId: 'string', groupId: 'string', traits: 'object' }),
  'POST /v1/batch': {
    requests: (ctx) => request(fc.constant('POST'), fc.constant('/v1/batch'), writeKeyAuth(ctx), encodedBody(batchContent)),
    oneBadField: (ctx) => oneBadField('POST', '/v1/batch', validSource(ctx), { batch: [{ type: 'track', userId: FUZZ_USERS[0], event: 'Fuzzed' }] }, { batch: 'array', sentAt: 'string', context: 'object' }),
  },

  'GET /v1/users/:userId/inbox': { requests: (ctx) => userGet(ctx, '/inbox', ['limit', 'cursor', 'unread', 'includeDismissed']) },
  'GET /v1/users/:userId/inbox/unread-count': { requests: (ctx) => userGet(ctx, '/inbox/unread-count') },
  'GET /v1/users/:userId/inbox/stream': {
    requests: (ctx) =>
      userRequest(ctx, get, (user) => {
        const userId = (() => {
          try {
            return decodeURIComponent(user);
          } catch {
            return user;
          }
        })();
        const past = Math.floor(Date.now() / 1000) - 60;
        const query = fc.oneof(
          junkQuery(['lastEventId', 'ticket']),
          messageIdSegment.map((id) => `?lastEventId=${id}`),
          fc.constant(`?writeKey=${encodeSegment(ctx.writeKey)}`),
          fc.constant(`?writeKey=${encodeSegment(ctx.openWriteKey)}`),
          // A fresh ticket for this user (single use: later ones of the same run are refused), an expired one, another user's, a forged one.
          fc.constant(null).map(() => `?ticket=${encodeSegment(ctx.streamTicket(userId))}`),
          fc.constant(`?ticket=${encodeSegment(ctx.streamTicket(userId, past))}`),
          fc.constantFrom(...FUZZ_USERS).map((other) => `?ticket=${encodeSegment(ctx.streamTicket(other))}`),
          nastyString.map((text) => `?ticket=st1.${encodeSegment(text)}`),
          fc.constant(`?ticket=a&ticket=b`),
        );
        return query.map((q) => `/v1/users/${user}/inbox/stream${q}`);
      }),
  },
  'POST /v1/users/:userId/inbox/stream-ticket': {
    requests: (ctx) => userRequest(ctx, fc.constant('POST'), (user) => withQuery(fc.constant(`/v1/users/${user}/inbox/stream-ticket`)), optionalBody(anyJson)),
  },
  'POST /v1/users/:userId/token': {
    requests: (ctx) =>
      request(
        fc.constant('POST'),
        userSegment.map((user) => `/v1/users/${user}/token`),
        fc.oneof(
          { weight: 4, arbitrary: fc.constant({ authorization: `Bearer ${ctx.signingKey}` }) },
          fc.constant({ authorization: `Bearer ${ctx.userToken(FUZZ_USERS[0]!)}` }),
          fc.constant({ authorization: `Bearer ${ctx.signingKey.slice(0, -2)}AA` }),
          fc.constant({ authorization: basic(ctx.writeKey) }),
          fc.constant({}),
          headerText.map((text) => ({ authorization: `Bearer ${text}` })),
        ),
        optionalBody(fc.oneof(plausible({ expiresIn: fc.oneof(fc.integer({ min: -10, max: 40_000_000 }), fc.constant(null), nastyNumber) }), anyJson)),
      ),
    // null is not a wrong type here: it asks for a token that does not expire.
    oneBadField: (ctx) =>
      oneBadField('POST', `/v1/users/${FUZZ_USERS[0]}/token`, { authorization: `Bearer ${ctx.signingKey}` }, { expiresIn: 60 }, { expiresIn: 'number' }, 'body.').filter(
        ({ request: r }) => r.body?.toString('utf8') !== '{"expiresIn":null}',
      ),
  },
  'POST /v1/users/:userId/inbox/:messageId/seen': inboxAction('seen'),
  'POST /v1/users/:userId/inbox/:messageId/read': inboxAction('read'),
  'POST /v1/users/:userId/inbox/:messageId/click': inboxAction('click'),
  'POST /v1/users/:userId/inbox/:messageId/dismiss': inboxAction('dismiss'),
  'GET /v1/users/:userId/consent': { requests: (ctx) => userGet(ctx, '/consent') },
  'GET /v1/users/:userId/consent/history': { requests: (ctx) => userGet(ctx, '/consent/history') },
  'PUT /v1/users/:userId/consent': consentWrite('PUT'),
  'PATCH /v1/users/:userId/consent': consentWrite('PATCH'),
  ...Object.fromEntries(
    ['/inbox', '/inbox/unread-count', '/inbox/stream', '/inbox/stream-ticket', '/inbox/:messageId/seen', '/inbox/:messageId/read', '/inbox/:messageId/click', '/inbox/:messageId/dismiss', '/consent', '/consent/history'].map(
      (suffix) => [`OPTIONS /v1/users/:userId${suffix}`, preflight(suffix)],
    ),
  ),

  'GET /v1/unsubscribe/:token': linkGet('/v1/unsubscribe/'),
  'POST /v1/unsubscribe/:token': {
    requests: (ctx) =>
      request(
        fc.constant('POST'),
        linkToken(ctx).map((token) => `/v1/unsubscribe/${encodeSegment(token)}`),
        none,
        fc.oneof(fc.constant<EncodedBody>({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from('List-Unsubscribe=One-Click') }), encodedBody(anyJson)),
      ),
    htmlErrors: true,
  },
  'GET /v1/e/o/:token': { requests: (ctx) => request(get, linkToken(ctx).map((token) => `/v1/e/o/${encodeSegment(token)}`), none) },
  'GET /v1/e/c/:token': linkGet('/v1/e/c/'),
  'POST /v1/engagement/push-opened': {
    requests: (ctx) => request(fc.constant('POST'), fc.constant('/v1/engagement/push-opened'), none, encodedBody(fc.oneof(plausible({ token: linkToken(ctx) }), anyJson))),
    oneBadField: () => oneBadField('POST', '/v1/engagement/push-opened', {}, { token: 'x.y' }, { token: 'string' }, 'body.'),
  },

  'POST /codec/decode': {
    requests: (ctx) => {
      const base64 = fc.oneof(fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('base64')), nastyString);
      const payload = fc.oneof(
        fc.constantFrom(...ctx.encryptedPayloads).map((p) => ({
          metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
          data: Buffer.from(p.data ?? []).toString('base64'),
        })),
        plausible({ metadata: fc.dictionary(fc.constantFrom('encoding', 'encryption-key-id', '__proto__', 'x'), base64, { maxKeys: 3 }), data: base64 }),
      );
      return request(fc.constant('POST'), fc.constant('/codec/decode'), adminAuth(ctx), encodedBody(fc.oneof(plausible({ payloads: fc.array(payload, { maxLength: 3 }) }), anyJson)));
    },
    oneBadField: (ctx) => oneBadField('POST', '/codec/decode', validAdmin(ctx), { payloads: [] }, { payloads: 'array' }),
  },
  'OPTIONS /codec/decode': { requests: () => request(fc.constant('OPTIONS'), fc.constant('/codec/decode'), none) },
  'GET /codec/login': { requests: () => request(get, withQuery(fc.constant('/codec/login')), none) },
  'POST /codec/login': { requests: (ctx) => request(fc.constant('POST'), fc.constant('/codec/login'), fc.oneof(none, adminAuth(ctx)), encodedBody(anyJson)) },

  'GET /healthz': { requests: () => request(get, withQuery(fc.constant('/healthz')), none) },
  'GET /v1/dev/mail': { requests: () => request(get, withQuery(fc.constant('/v1/dev/mail'), ['limit']), none) },
  'GET /v1/dev/push': { requests: () => request(get, withQuery(fc.constant('/v1/dev/push'), ['limit']), none) },
  'GET /docs': { requests: () => request(get, withQuery(fc.constant('/docs')), none) },
  'GET /docs/': { requests: () => request(get, withQuery(fc.constant('/docs/')), none) },
  'GET /docs/json': { requests: () => request(get, withQuery(fc.constant('/docs/json')), none) },
  'GET /docs/yaml': { requests: () => request(get, withQuery(fc.constant('/docs/yaml')), none) },
  'GET /docs/static/index.html': { requests: () => request(get, fc.constant('/docs/static/index.html'), none) },
  'GET /docs/static/swagger-initializer.js': { requests: () => request(get, fc.constant('/docs/static/swagger-initializer.js'), none) },
  'GET /docs/*': {
    requests: () =>
      request(get, fc.oneof(fc.array(junkSegment, { minLength: 1, maxLength: 4 }).map((parts) => `/docs/static/${parts.join('/')}`), fc.constantFrom('/docs/static/../../package.json', '/docs/static/%2e%2e/%2e%2e/package.json', '/docs/static/')), none),
  },

  'GET /v1/ops/campaigns': { requests: (ctx) => request(get, withQuery(fc.constant('/v1/ops/campaigns'), ['archived']), adminAuth(ctx)) },
  'POST /v1/ops/campaigns': {
    requests: (ctx) =>
      request(
        fc.constant('POST'),
        fc.constant('/v1/ops/campaigns'),
        adminAuth(ctx),
        fc.oneof(encodedBody(textBody(publishableText)), publishableText.map((text) => jsonBody({ text, source: 'fuzz' }))),
      ),
    oneBadField: (ctx) => oneBadField('POST', '/v1/ops/campaigns', validAdmin(ctx), { text: 'id: x', source: 'fuzz' }, { text: 'string', source: 'string' }),
  },
  'POST /v1/ops/campaigns/validate': {
    requests: (ctx) => request(fc.constant('POST'), fc.constant('/v1/ops/campaigns/validate'), adminAuth(ctx), encodedBody(textBody(campaignText))),
    oneBadField: (ctx) => oneBadField('POST', '/v1/ops/campaigns/validate', validAdmin(ctx), { text: 'id: x', source: 'fuzz' }, { text: 'string', source: 'string' }),
    check: validateAnswer,
  },
  'GET /v1/ops/campaigns/:campaignId/stats': {
    requests: (ctx) => request(get, fc.tuple(campaignSegment, junkQuery(['from', 'to', 'version', 'groupBy'])).map(([id, q]) => `/v1/ops/campaigns/${id}/stats${q}`), adminAuth(ctx)),
  },
  'GET /v1/ops/programme/stats': {
    requests: (ctx) => request(get, junkQuery(['from', 'to']).map((q) => `/v1/ops/programme/stats${q}`), adminAuth(ctx)),
  },
  'GET /v1/ops/whoami': { requests: (ctx) => request(get, withQuery(fc.constant('/v1/ops/whoami')), adminAuth(ctx)) },
  'GET /console': { requests: () => request(get, withQuery(fc.constant('/console')), none) },
  'GET /console/': { requests: () => request(get, withQuery(fc.constant('/console/')), none) },
  'GET /console/settings.json': { requests: () => request(get, withQuery(fc.constant('/console/settings.json')), none) },
  'GET /console/vendor/:name': { requests: () => request(get, fc.oneof(junkSegment.map((part) => `/console/vendor/${part}`), fc.constantFrom('/console/vendor/uplot.js', '/console/vendor/..%2f..%2fpackage.json')), none) },
  'GET /console/:name': { requests: () => request(get, fc.oneof(junkSegment.map((part) => `/console/${part}`), fc.constantFrom('/console/console-main.js', '/console/..%2fconsole-routes.ts', '/console/%2e%2e')), none) },
  'GET /v1/ops/campaigns/:campaignId': { requests: (ctx) => request(get, campaignSegment.map((id) => `/v1/ops/campaigns/${id}`), adminAuth(ctx)) },
  'POST /v1/ops/campaigns/:campaignId/pause': opsCampaignPost('pause', anyJson),
  'POST /v1/ops/campaigns/:campaignId/resume': opsCampaignPost('resume', reasonContent, { valid: { reason: 'fuzz' }, fields: { reason: 'string' } }),
  'POST /v1/ops/campaigns/:campaignId/cancel': opsCampaignPost('cancel', reasonContent, { valid: { reason: 'fuzz' }, fields: { reason: 'string' } }),
  'POST /v1/ops/campaigns/:campaignId/archive': opsCampaignPost('archive', anyJson),
  'POST /v1/ops/campaigns/:campaignId/rerun': opsCampaignPost(
    'rerun',
    fc.oneof(plausible({ userIds: fc.array(idValue, { maxLength: 3 }), query: fc.oneof(fc.constantFrom("BeckonUser = 'x'", 'ExecutionStatus = "Running"', ')) OR ((', "' OR '1'='1"), nastyString), dryRun: fc.boolean(), reason: nastyString }), anyJson),
    { valid: { userIds: ['fuzz-user-1'], dryRun: true }, fields: { userIds: 'array', dryRun: 'boolean', reason: 'string' } },
  ),

  'GET /v1/ops/users/:userId': { requests: (ctx) => request(get, userSegment.map((user) => `/v1/ops/users/${user}`), adminAuth(ctx)) },
  'GET /v1/ops/users/:userId/journeys': { requests: (ctx) => request(get, userSegment.map((user) => `/v1/ops/users/${user}/journeys`), adminAuth(ctx)) },
  'GET /v1/ops/users/:userId/journeys/:campaignId/:entry': {
    requests: (ctx) => request(get, fc.tuple(userSegment, campaignSegment, entrySegment).map(([u, c, e]) => `/v1/ops/users/${u}/journeys/${c}/${e}`), adminAuth(ctx)),
  },
  'POST /v1/ops/users/:userId/journeys/:campaignId/:entry/cancel': {
    requests: (ctx) =>
      request(fc.constant('POST'), fc.tuple(userSegment, campaignSegment, entrySegment).map(([u, c, e]) => `/v1/ops/users/${u}/journeys/${c}/${e}/cancel`), adminAuth(ctx), optionalBody(reasonContent)),
    oneBadField: (ctx) => oneBadField('POST', `/v1/ops/users/${FUZZ_USERS[0]}/journeys/fuzz-none/1/cancel`, validAdmin(ctx), { reason: 'fuzz' }, { reason: 'string' }),
  },
  'POST /v1/ops/journeys/:workflowId/reset': {
    requests: (ctx) =>
      request(
        fc.constant('POST'),
        fc.oneof(junkSegment, fc.string().map((s) => encodeSegment(`journey:${s}`)), fc.constant(encodeSegment('journey:welcome:nobody:1'))).map((id) => `/v1/ops/journeys/${id}/reset`),
        adminAuth(ctx),
        optionalBody(reasonContent),
      ),
    oneBadField: (ctx) => oneBadField('POST', `/v1/ops/journeys/${encodeSegment('journey:fuzz-none:nobody:1')}/reset`, validAdmin(ctx), { reason: 'fuzz' }, { reason: 'string' }),
  },
  'GET /v1/ops/batches/:jobId': {
    requests: (ctx) => request(get, fc.oneof(junkSegment, fc.constantFrom('beckon-cancel-nothing', 'x'.repeat(200), 'x'.repeat(201))).map((id) => `/v1/ops/batches/${id}`), adminAuth(ctx)),
  },
  'GET /v1/ops/tokens': { requests: (ctx) => request(get, fc.constant('/v1/ops/tokens'), adminAuth(ctx)) },
  'POST /v1/ops/tokens': {
    requests: (ctx) =>
      request(fc.constant('POST'), fc.constant('/v1/ops/tokens'), adminAuth(ctx), encodedBody(fc.oneof(plausible({ name: nastyString, scopes: fc.array(fc.oneof(fc.constantFrom('read', 'operate', 'admin'), nastyString), { maxLength: 3 }) }), anyJson))),
    oneBadField: (ctx) => oneBadField('POST', '/v1/ops/tokens', validAdmin(ctx), { name: 'fuzz', scopes: ['read'] }, { name: 'string', scopes: 'array' }),
  },
  // Erasure only of users the fuzz makes up for it: the other cases' users (and the canary) must stay.
  'DELETE /v1/ops/users/:userId': { requests: (ctx) => request(fc.constant('DELETE'), fc.oneof(junkSegment, fc.constant('fuzz-erase-1')).map((u) => `/v1/ops/users/${u}`), adminAuth(ctx)) },
  'GET /v1/ops/users/:userId/export': { requests: (ctx) => request(get, userSegment.map((user) => `/v1/ops/users/${user}/export`), adminAuth(ctx)) },
  'DELETE /v1/ops/users/:userId/suppression': { requests: (ctx) => request(fc.constant('DELETE'), userSegment.map((user) => `/v1/ops/users/${user}/suppression`), adminAuth(ctx)) },
  'DELETE /v1/ops/tokens/:tokenId': {
    requests: (ctx) => request(fc.constant('DELETE'), fc.oneof(junkSegment, fc.stringMatching(/^[a-z0-9]{12}$/)).map((id) => `/v1/ops/tokens/${id}`), adminAuth(ctx)),
  },
};

/** Requests to no route at all: unknown paths, unknown methods, bytes where a path should be. */
export const strayRequests: fc.Arbitrary<RawRequest> = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'SEARCH'),
    path: fc.oneof(
      fc.array(junkSegment, { maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
      fc.constantFrom('/v1', '/v1/', '/v1/ops', '/v1/ops/', '/v1/users', '/v1//track', '//v1/track', '/v1/track/', '/v1/TRACK', '/v1/track?', '/v1/users//inbox', '/%', '/..', '/v1/ops/campaigns/'),
    ),
    body: fc.option(junkBody),
  })
  .map(({ method, path, body }) => ({ method, path, headers: {}, ...(body && method !== 'GET' && method !== 'HEAD' && { body }) }));

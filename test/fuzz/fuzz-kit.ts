import { Agent, request as httpRequest } from 'node:http';
import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';

/**
 * Shared pieces of the bad-input fuzz: how many cases run, a tally printed per property, a raw
 * HTTP client (it sends bytes, any method and header fetch would refuse), and nasty values.
 */

/** Cases per property in `npm test`; `npm run fuzz` sets FUZZ_RUNS ten times higher. */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 40);
/** Reproduces a failing run: the seed is printed with each property's line. */
export const FUZZ_SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

export const fuzzParameters = (runs = FUZZ_RUNS): fc.Parameters<unknown> => ({
  numRuns: runs,
  ...(FUZZ_SEED !== undefined && { seed: FUZZ_SEED }),
});

/** Counts each property's cases and answers; printed as one block when the file ends. */
export class Tally {
  private readonly lines: string[] = [];
  private total = 0;
  private serverErrors = 0;

  /** `http`: outcomes are status codes, and the line says how many were 5xx. */
  constructor(
    private readonly title: string,
    private readonly http = true,
  ) {}

  property(name: string) {
    const statuses = new Map<string, number>();
    let cases = 0;
    let fives = 0;
    return {
      count: (status: number | string) => {
        cases += 1;
        if (typeof status === 'number' && status >= 500) fives += 1;
        statuses.set(String(status), (statuses.get(String(status)) ?? 0) + 1);
      },
      done: () => {
        this.total += cases;
        this.serverErrors += fives;
        const counts = Object.fromEntries([...statuses].sort(([a], [b]) => a.localeCompare(b)));
        this.lines.push(`[fuzz] ${name}: ${cases} cases, ${this.http ? `${fives} 5xx, status counts` : 'outcomes'} ${JSON.stringify(counts)}`);
      },
    };
  }

  /** Runs an async property, counting every case (shrinking included) under `name`. */
  async check<T>(name: string, arbitrary: fc.Arbitrary<T>, run: (value: T, count: (status: number | string) => void) => Promise<void>, runs = FUZZ_RUNS) {
    const counter = this.property(name);
    try {
      await fc.assert(fc.asyncProperty(arbitrary, (value) => run(value, counter.count)), fuzzParameters(runs));
    } finally {
      counter.done();
    }
  }

  print(): void {
    const seed = FUZZ_SEED === undefined ? 'random (set FUZZ_SEED to repeat)' : String(FUZZ_SEED);
    const errors = this.http ? `, ${this.serverErrors} 5xx` : '';
    console.log([...this.lines, `[fuzz] ${this.title}: ${this.total} cases in all${errors}, FUZZ_RUNS=${FUZZ_RUNS}, seed ${seed}`].join('\n'));
  }
}

export interface RawRequest {
  method: string;
  /** Path and query, already percent-encoded. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Far longer than any answer takes, even on a loaded machine; only a request the server never answers reaches it. */
const NO_ANSWER_MS = 30_000;

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** One request over a real socket; an event stream that opens is closed after its headers (it would never end). */
export function send(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, ...(req.body !== undefined && { 'content-length': String(req.body.length) }) };
    const outgoing = httpRequest({ host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent }, (response) => {
      const status = response.statusCode ?? 0;
      if (String(response.headers['content-type']).startsWith('text/event-stream')) {
        response.destroy();
        resolve({ status, headers: response.headers, text: '' });
        return;
      }
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    // A hang is a fault like a 5xx; this names the request instead of leaving jest's test timeout to fire.
    outgoing.setTimeout(NO_ANSWER_MS, () => outgoing.destroy(new Error(`no answer to ${req.method} ${req.path} within ${NO_ANSWER_MS / 1000} s`)));
    outgoing.end(req.body);
  });
}

export function closeAgent(): void {
  agent.destroy();
}

/** What every JSON 4xx of the API carries: a code, a message, and for a 400 of bad fields each path and reason. */
export function errorShapeProblems(response: RawResponse): string[] {
  const faults: string[] = [];
  const type = String(response.headers['content-type'] ?? '');
  if (!type.startsWith('application/json')) return [`a ${response.status} answered ${type || 'no content type'}: ${response.text.slice(0, 200)}`];
  let body: { error?: unknown; message?: unknown; problems?: unknown };
  try {
    body = JSON.parse(response.text) as typeof body;
  } catch {
    return [`a ${response.status} body is not JSON: ${response.text.slice(0, 200)}`];
  }
  if (typeof body.error !== 'string' || !/^[a-z_]+$/.test(body.error)) faults.push(`error code is ${JSON.stringify(body.error)}`);
  if (typeof body.message !== 'string' || body.message.trim() === '') faults.push(`message is ${JSON.stringify(body.message)}`);
  if (body.error === 'invalid_request' && body.problems !== undefined) {
    if (!Array.isArray(body.problems) || body.problems.length === 0) faults.push('problems is not a non-empty list');
    else {
      for (const problem of body.problems as { path?: unknown; reason?: unknown }[]) {
        if (typeof problem.path !== 'string') faults.push(`a problem has no path: ${JSON.stringify(problem)}`);
        if (typeof problem.reason !== 'string' || problem.reason === '') faults.push(`a problem has no reason: ${JSON.stringify(problem)}`);
      }
    }
  }
  return faults.length > 0 ? [...faults, `in ${response.status} ${response.text.slice(0, 300)}`] : [];
}

// ---- nasty values ----

/** Strings that break naive code: empty, blank, control characters, lone surrogates, prototype names, number-ish, huge. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '', ' ', '\t\n', '\u0000', 'a\u0000b', '\u001f', '\ud800', '\udfff\ud800', '\u202e', '\ufeff', '💥', 'ａｂｃ',
    '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf',
    'null', 'undefined', 'NaN', 'Infinity', '-Infinity', '-0', '1e400', '9223372036854775808', '99999999999999999999', '0x10', '1_000',
    'true', '[]', '{}', "' OR 1=1 --", '"; DROP TABLE users; --', '{{ x }}', '{% raw %}', '../../etc/passwd', '%00', '%', '\\', '*', '?', '#',
    '2026-02-30T00:00:00Z', '0000-00-00T00:00:00Z', '9999-12-31T23:59:59Z', '2026-01-01', '2026-01-01T25:00:00Z', 'yesterday',
    'x'.repeat(257), 'é'.repeat(300), '😀'.repeat(129),
  ),
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ minLength: 190, maxLength: 1200 }),
);

/** Numbers JSON can carry, and text that JSON.stringify cannot write (raw digits past any float or bigint). */
export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, -1, 0.5, 1e21, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 63, 5e-324),
);

/** A value of any JSON type, nasty leaves included, nested a little. */
export const nastyValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nastyString,
    nastyNumber,
    fc.constantFrom(null, true, false),
    fc.array(tie('value'), { maxLength: 4 }),
    // Plain objects, as JSON and YAML parsers hand them over.
    fc.dictionary(nastyKey(), tie('value'), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value;

/** Object keys, prototype names included (fast-check defines them as own properties, so JSON writes them). */
export function nastyKey(): fc.Arbitrary<string> {
  return fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', '', ' ', '\u0000', 'a.b', '0', 'length'));
}

/** Any JSON document. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(fc.jsonValue(), nastyValue);

/** Values of the wrong type for a field of the given kind; a field that must be text gets no text, and so on. */
export function wrongTypeFor(kind: 'string' | 'object' | 'array' | 'boolean' | 'number'): fc.Arbitrary<unknown> {
  const others = {
    string: fc.oneof(fc.constantFrom(null, true, false), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2, noNullPrototype: true })),
    object: fc.oneof(fc.constantFrom(null, true, false), nastyNumber, fc.string(), fc.array(fc.integer(), { maxLength: 2 })),
    array: fc.oneof(fc.constantFrom(null, true, false), nastyNumber, fc.string(), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2, noNullPrototype: true })),
    boolean: fc.oneof(fc.constantFrom(null, 'true', 'yes', 0, 1), fc.array(fc.boolean(), { maxLength: 2 })),
    number: fc.oneof(fc.constantFrom(null, true, '1', 'NaN'), fc.array(fc.integer(), { maxLength: 2 })),
  } as const;
  return others[kind];
}

/** Arrays or objects nested past what any client sends, as raw JSON text (thousands deep fits in 32 KB). */
export const deepJsonText: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 50, max: 15_000 }), fc.constantFrom('[', '{"a":'))
  .map(([depth, open]) => `${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`);

/** Bytes that are not what the content type says: random binary, broken JSON, HTML, form data. */
export const junkBody: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  fc.constantFrom('{', '}', '[1,', '{"a":1,}', 'null', '""', '0', '-', 'NaN', '<html></html>', 'a=1&b=2', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}', '\ufeff{}', '{"a":1}{"b":2}').map((text) => Buffer.from(text)),
  fc.string().map((text) => Buffer.from(text)),
  deepJsonText.map((text) => Buffer.from(text)),
);

/** A path segment of arbitrary bytes, percent-encoded (some of them not UTF-8 at all). */
export const junkSegment: fc.Arbitrary<string> = fc.oneof(
  nastyString.map((text) => encodeSegment(text)),
  fc.uint8Array({ minLength: 1, maxLength: 30 }).map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
  fc.constantFrom('%', '%zz', '%c3%28', '..', '.', '%2e%2e', '%2F', 'a%00b', ';', '@'),
);

/** Percent-encodes text for a path segment; a lone surrogate, which encodeURIComponent refuses, becomes U+FFFD's bytes. */
export function encodeSegment(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).padStart(2, '0')}`)).join('');
}

/** A query string of nasty names and values (repeated keys become arrays in Fastify). */
export function junkQuery(names: string[] = []): fc.Arbitrary<string> {
  const name = fc.oneof(fc.constantFrom(...names, '__proto__', 'constructor', 'writeKey', ''), fc.string({ maxLength: 8 }));
  return fc
    .array(fc.tuple(name, fc.oneof(nastyString, fc.constantFrom('true', 'false', '1', '0', '-1', '201', '1.5', '1e3'))), { maxLength: 4 })
    .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`).join('&')}`));
}

/** Header values a client might send; Node refuses to send CR, LF and characters past U+00FF, so those are left out. */
export const headerText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }).map((text) => text.replace(/[^\t\x20-\x7e]/g, '')),
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes.map((b) => (b < 0x20 || b === 0x7f ? 0x41 : b))).toString('latin1')),
);

export interface EncodedBody {
  headers: Record<string, string>;
  body?: Buffer;
}

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/vnd.api+json',
  '',
  'garbage',
);

/**
 * A body as a client may send it: JSON (or raw bytes) under the right, a wrong or no content type,
 * plain, gzipped, deflated, or labelled gzip without being it.
 */
export function encodedBody(content: fc.Arbitrary<unknown>): fc.Arbitrary<EncodedBody> {
  return fc.oneof({ weight: 3, arbitrary: content.map(jsonBody) }, { weight: 2, arbitrary: variedBody(content) });
}

function variedBody(content: fc.Arbitrary<unknown>): fc.Arbitrary<EncodedBody> {
  const bytes = fc.oneof({ weight: 4, arbitrary: content.map((value) => Buffer.from(JSON.stringify(value) ?? 'null')) }, { weight: 1, arbitrary: junkBody });
  return fc
    .record({
      bytes,
      type: fc.oneof({ weight: 4, arbitrary: fc.constant('application/json') }, { weight: 2, arbitrary: contentTypes }),
      encoding: fc.constantFrom('none', 'none', 'none', 'gzip', 'deflate', 'fake-gzip', 'br', 'identity'),
      noBody: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    })
    .map(({ bytes: raw, type, encoding, noBody }): EncodedBody => {
      const headers: Record<string, string> = type ? { 'content-type': type } : {};
      if (noBody) return { headers };
      let body = raw;
      if (encoding === 'gzip') body = gzipSync(raw);
      if (encoding === 'deflate') body = deflateSync(raw);
      if (encoding !== 'none') headers['content-encoding'] = encoding === 'fake-gzip' ? 'gzip' : encoding;
      return { headers, body };
    });
}

/** A JSON body sent the ordinary way. */
export const jsonBody = (value: unknown): EncodedBody => ({ headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(value) ?? 'null') });

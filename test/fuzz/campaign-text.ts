import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { POLICY_FILE } from '../../src/ops/campaign-files';
import { nastyString, nastyValue, wrongTypeFor } from './fuzz-kit';

/** Campaign definitions as authors write them: the real files to mutate, and generators of text. */

const CAMPAIGNS_DIR = join(__dirname, '..', '..', 'campaigns');

/** The campaigns of campaigns/ as parsed YAML (plain objects), with their file names. */
export const seedCampaigns: { file: string; definition: Record<string, unknown> }[] = readdirSync(CAMPAIGNS_DIR)
  .filter((name) => name.endsWith('.yaml') && name !== POLICY_FILE)
  .sort()
  .map((file) => ({ file, definition: parseYaml(readFileSync(join(CAMPAIGNS_DIR, file), 'utf8')) as Record<string, unknown> }));

type Path = (string | number)[];

/** Every path in a parsed document, inner nodes and leaves alike. */
export function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const own = prefix.length > 0 ? [prefix] : [];
  if (Array.isArray(value)) return [...own, ...value.flatMap((item, index) => pathsOf(item, [...prefix, index]))];
  if (value !== null && typeof value === 'object') return [...own, ...Object.entries(value).flatMap(([key, item]) => pathsOf(item, [...prefix, key]))];
  return own;
}

const clone = <T>(value: T): T => structuredClone(value);

function parentOf(root: unknown, path: Path): { parent: Record<string | number, unknown>; key: string | number } | undefined {
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    node = node[key] as Record<string | number, unknown>;
    if (node === null || typeof node !== 'object') return undefined;
  }
  return { parent: node, key: path[path.length - 1]! };
}

const TARGET_FIELDS = new Set(['next', 'then', 'else', 'onEvent', 'onTimeout']);
const DURATION_FIELDS = new Set(['duration', 'timeout', 'within', 'period']);

const badDuration = fc.oneof(
  fc.constantFrom('0h', '0', '-4h', '4 hourz', 'PT', 'P', 'forever', '', ' ', '1e400h', '99999999999999999999 hours', 'PT99999999999999999999H', '4', 'h', '1.5h', 'NaN hours'),
  nastyString,
);

export type Mutation = { kind: string; path: string; definition: Record<string, unknown> };

/**
 * One change to one real campaign: a key deleted, a value of the wrong type or a nasty one, an
 * unknown key, a jump to a step that is not there, a bad duration, a loop back to the first step.
 */
export const mutatedCampaign: fc.Arbitrary<Mutation> = fc
  .record({
    seed: fc.constantFrom(...seedCampaigns),
    pick: fc.nat(),
    kind: fc.constantFrom('delete', 'wrong-type', 'nasty', 'unknown-key', 'unknown-target', 'bad-duration', 'long-duration', 'loop', 'duplicate-step', 'empty'),
    long: fc.tuple(fc.oneof(fc.integer({ min: 1, max: 2 ** 31 }), fc.constantFrom(14_285_000, 14_000_000, 100_000_000)), fc.constantFrom('weeks', 'days', 'hours', 'w')).map(([n, unit]) => `${n} ${unit}`),
    wrong: fc.constantFrom('string', 'object', 'array', 'boolean', 'number' as const).chain((kind) => wrongTypeFor(kind)),
    nasty: nastyValue,
    duration: badDuration,
    target: fc.oneof(fc.constantFrom('nowhere', 'Next', 'EXIT', '', ' '), nastyString),
  })
  .map(({ seed, pick, kind, wrong, nasty, duration, long, target }) => {
    const definition = clone(seed.definition);
    const paths = pathsOf(definition);
    const steps = definition.steps as Record<string, unknown>[];
    const at = (filter: (path: Path) => boolean): Path | undefined => {
      const candidates = paths.filter(filter);
      return candidates.length > 0 ? candidates[pick % candidates.length] : undefined;
    };
    const apply = (path: Path | undefined, change: (parent: Record<string | number, unknown>, key: string | number) => void, name: string): Mutation => {
      const located = path && parentOf(definition, path);
      if (located) change(located.parent, located.key);
      return { kind: name, path: (path ?? []).join('.'), definition };
    };
    switch (kind) {
      case 'delete':
        return apply(at(() => true), (parent, key) => (Array.isArray(parent) ? parent.splice(Number(key), 1) : delete parent[key]), kind);
      case 'wrong-type':
        return apply(at(() => true), (parent, key) => (parent[key] = wrong), kind);
      case 'nasty':
        return apply(at(() => true), (parent, key) => (parent[key] = nasty), kind);
      case 'unknown-key':
        return apply(at((path) => path.length < 4), (parent, key) => {
          const node = parent[key];
          if (node !== null && typeof node === 'object' && !Array.isArray(node)) (node as Record<string, unknown>)[String(target) || 'x'] = nasty;
          else parent[key] = { [String(target) || 'x']: nasty };
        }, kind);
      case 'unknown-target': {
        const index = pick % steps.length;
        steps[index] = { ...steps[index], ...(steps[index]?.type === 'exit' ? { type: 'wait', duration: '1h' } : {}), next: target || 'nowhere' };
        return { kind, path: `steps.${index}.next`, definition };
      }
      case 'bad-duration': {
        const path = at((p) => DURATION_FIELDS.has(String(p[p.length - 1])));
        if (path) return apply(path, (parent, key) => (parent[key] = duration), kind);
        steps.push({ id: 'late', type: 'wait', duration });
        return { kind, path: `steps.${steps.length - 1}.duration`, definition };
      }
      case 'long-duration': {
        const path = at((p) => DURATION_FIELDS.has(String(p[p.length - 1])));
        if (path) return apply(path, (parent, key) => (parent[key] = long), kind);
        definition.entry = { ...(definition.entry as object), absence: { events: ['Opened App'], within: long } };
        return { kind, path: 'entry.absence.within', definition };
      }
      case 'loop': {
        const first = steps[0]?.id;
        const last = steps[steps.length - 1]!;
        const path = at((p) => TARGET_FIELDS.has(String(p[p.length - 1])));
        if (path && pick % 2 === 0) return apply(path, (parent, key) => (parent[key] = first), kind);
        steps[steps.length - 1] = { ...last, ...(last.type === 'exit' ? { type: 'wait', duration: '1h' } : {}), next: first };
        return { kind, path: `steps.${steps.length - 1}.next`, definition };
      }
      case 'duplicate-step':
        steps.push(clone(steps[pick % steps.length]!));
        return { kind, path: 'steps', definition };
      default: {
        const path = at(() => true);
        return apply(path, (parent, key) => (parent[key] = Array.isArray(parent[key]) ? [] : typeof parent[key] === 'object' ? {} : ''), kind);
      }
    }
  })
  // What a YAML or JSON parser hands the loader: plain objects and lists, no undefined.
  .map((mutation) => ({ ...mutation, definition: JSON.parse(JSON.stringify(mutation.definition)) as Record<string, unknown> }));

const identifier = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/);
const safeText = fc.string({ minLength: 1, maxLength: 30 }).filter((text) => text.trim() !== '' && !/[{}%]/.test(text));
const goodDuration = fc.oneof(
  fc.integer({ min: 1, max: 500 }).map((n) => `${n}h`),
  fc.integer({ min: 1, max: 90 }).map((n) => `${n} days`),
  fc.integer({ min: 1, max: 59 }).map((n) => `PT${n}M`),
);

/** Valid campaigns built from scratch: a chain of steps over in-app and email templates. */
export const validCampaign: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    id: identifier,
    name: safeText,
    event: safeText,
    steps: fc.array(
      fc.oneof(
        fc.constant({ type: 'message', template: 'inbox' }),
        fc.constant({ type: 'message', template: 'mail' }),
        goodDuration.map((duration) => ({ type: 'wait', duration })),
        fc.record({ type: fc.constant('wait_until'), at: fc.constantFrom('09:00', '17:30', '00:00'), nextDay: fc.boolean() }),
        goodDuration.map((timeout) => ({ type: 'wait_for_event', event: 'Completed Purchase', timeout, onEvent: 'exit', onTimeout: 'next' })),
        fc.constant({ type: 'branch', condition: { type: 'did', event: 'Signed Up', within: '30 days' }, then: 'next', else: 'exit' }),
      ),
      { minLength: 1, maxLength: 6 },
    ),
    reentry: fc.constantFrom({ mode: 'once' }, { mode: 'every_time' }, { mode: 'once_per', period: '7 days' }),
  })
  .map(({ id, name, event, steps, reentry }) => ({
    id,
    name,
    entry: { event },
    reentry,
    templates: {
      inbox: { channel: 'in_app', title: 'Hello {{ traits.firstName | default: "there" }}', body: safeBody(name) },
      mail: { channel: 'email', subject: 'News', text: 'Read on. {{ unsubscribeUrl }}' },
    },
    steps: steps.map((step, index) => ({ id: `s${index}`, ...step })),
  }));

function safeBody(text: string): string {
  return `About ${text.replace(/[{}%]/g, '')}`;
}

/** YAML that trips parsers: alias bombs, self references, odd tags, several documents, tabs, duplicate keys. */
const yamlJunk = fc.constantFrom(
  'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
  '&a [*a]',
  'a: &a\n  b: *a',
  '<<: *nope',
  'base: &base {id: x}\ncampaign:\n  <<: *base',
  '!!binary aGVsbG8=',
  'id: !!binary aGVsbG8=',
  'steps: !!set {a, b}',
  'steps: !!omap [a: 1, b: 2]',
  'templates: !!pairs [a: 1, a: 2]',
  'id: !!timestamp 2001-12-14t21:59:43.10-05:00',
  'id: !!float .nan',
  'id: !!int 0x7fffffffffffffffffff',
  'id: !custom thing',
  'id: !!js/function "function(){}"',
  '%YAML 1.1\n---\nid: yes',
  '%TAG ! tag:example.com,2000:\n---\n!foo bar',
  '---\nid: a\n---\nid: b',
  '...',
  '---',
  '',
  '\t- a',
  'id: a\nid: b',
  '? [a, b]\n: c',
  '? {a: 1}\n: c',
  '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[',
  '{"id": "a", "id": "b"}',
  '\ufeffid: bom',
  'id: "\\u0000"',
  'id: "\\ud800"',
  '__proto__: {steps: []}',
  'constructor: {prototype: {id: x}}',
  'id: a\nsteps:\n  - {id: s, type: wait, duration: 1h, next: s}',
  'key: |\n  literal\n   more\n\tbad',
  `{"id":"deep","name":"Deep","entry":{"event":"E"},"templates":{"w":{"channel":"webhook","url":"https://hooks.example/x","body":{"a":${'['.repeat(5000)}"{{ traits.x }}"${']'.repeat(5000)}}}},"steps":[{"id":"s","type":"message","template":"w"}]}`,
  'id: nul\nname: "A\\0B"\nentry: {event: E}\ntemplates: {}\nsteps: [{id: e, type: exit}]',
  'id: nul\nname: N\nentry: {event: E}\ntemplates: {}\nsteps: [{id: e, type: exit, "k\\0": 1}]',
  `${'a: '.repeat(2000)}1`,
  `${'- '.repeat(3000)}x`,
);

/** Text that is not a campaign: anything, YAML of any value, YAML junk. None of it can publish a campaign that others would see. */
export const junkCampaignText: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 200 }),
  yamlJunk,
  nastyValue.map((value) => stringifyYaml(value)),
  fc.jsonValue().map((value) => JSON.stringify(value)),
);

/** Text the loader may be given: the junk above, and mutated or valid campaigns as YAML or JSON. */
export const campaignText: fc.Arbitrary<string> = fc.oneof(
  junkCampaignText,
  mutatedCampaign.chain(({ definition }) => fc.constantFrom(stringifyYaml(definition), JSON.stringify(definition))),
  validCampaign.map((definition) => stringifyYaml(definition)),
);

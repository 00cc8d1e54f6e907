import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify as stringifyYaml } from 'yaml';
import { loadCampaignFiles, parseCampaignText } from '../../src/ops/campaign-files';
import { compileCampaign } from '../../src/domain/campaign/campaign-compile';
import { CampaignDefinitionError, validateCampaign, type DefinitionProblem } from '../../src/domain/campaign/campaign-validation';
import { parseDuration } from '../../src/domain/time';
import { campaignText, mutatedCampaign, seedCampaigns, validCampaign } from './campaign-text';
import { FUZZ_RUNS, fuzzParameters, Tally } from './fuzz-kit';

/** The campaign loader takes any text or document: it returns a definition or problems each naming a path and a reason, never anything else. */
const tally = new Tally('campaign loader', false);
afterAll(() => tally.print());

/** What the loader said about a text: a definition, or problems; any other exception escapes and fails the property. */
function load(text: string): { ok: true; steps: number } | { ok: false; problems: DefinitionProblem[] } {
  try {
    return { ok: true, steps: parseCampaignText(text, 'fuzz.yaml').steps.length };
  } catch (err) {
    if (err instanceof CampaignDefinitionError) return { ok: false, problems: err.problems };
    throw err;
  }
}

/** Every duration of a compiled campaign, in milliseconds. */
function durationsOf(campaign: ReturnType<typeof compileCampaign>): number[] {
  const found: number[] = [];
  JSON.stringify(campaign, (key, value: unknown) => {
    if (/Ms$/.test(key) && typeof value === 'number') found.push(value);
    return value;
  });
  return found;
}

function expectNamedProblems(problems: DefinitionProblem[]): void {
  expect(problems.length).toBeGreaterThan(0);
  for (const problem of problems) {
    expect(typeof problem.path).toBe('string');
    expect(typeof problem.reason).toBe('string');
    expect(problem.reason.trim()).not.toBe('');
  }
}

/** A problem of the mutated path or of something inside or around it (zod reports a broken union at its parent). */
const pathLike = (dotted: string) => dotted.replace(/\.(\d+)(?=\.|$)/g, '[$1]');

describe('campaign loader fuzz', () => {
  it('any text: a definition, or problems that each name a path and a reason', () => {
    const counter = tally.property('parseCampaignText(any text)');
    try {
      fc.assert(
        fc.property(campaignText, (text) => {
          const result = load(text);
          counter.count(result.ok ? 'valid' : 'problems');
          if (!result.ok) expectNamedProblems(result.problems);
        }),
        fuzzParameters(FUZZ_RUNS * 5),
      );
    } finally {
      counter.done();
    }
  });

  it('a real campaign with one thing changed: problems at that place when the change breaks it, and a compilable definition when not', () => {
    const counter = tally.property('validateCampaign(mutated campaigns/*.yaml)');
    try {
      fc.assert(
        fc.property(mutatedCampaign, (mutation) => {
          const result = validateCampaign(mutation.definition);
          counter.count(`${mutation.kind}:${result.ok ? 'valid' : 'problems'}`);
          if (result.ok) {
            const campaign = compileCampaign(result.definition, 1);
            expect(campaign.steps.length).toBe(result.definition.steps.length);
            // Workflows add these to now and write the result as a date (an absence deadline, a timer's summary).
            for (const ms of durationsOf(campaign)) expect({ ms, date: Number.isFinite(new Date(Date.now() + ms).getTime()) }).toEqual({ ms, date: true });
            return;
          }
          expectNamedProblems(result.problems);
          const target = pathLike(mutation.path);
          const parent = target.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
          const near = result.problems.some((p) => p.path.startsWith(parent) || target.startsWith(p.path));
          if (['unknown-target', 'loop', 'bad-duration'].includes(mutation.kind)) {
            expect({ near, mutation: mutation.kind, path: target, problems: result.problems }).toEqual(expect.objectContaining({ near: true }));
          }
        }),
        fuzzParameters(FUZZ_RUNS * 5),
      );
    } finally {
      counter.done();
    }
  });

  it('changes that must break a campaign always do: a jump to no step, a loop, a duration that does not parse', () => {
    const counter = tally.property('validateCampaign(breaking mutations)');
    const breaking = mutatedCampaign.filter((m) => {
      if (m.kind === 'loop') return true;
      if (m.kind === 'unknown-target') {
        const steps = (m.definition.steps as { id?: unknown; next?: unknown }[]) ?? [];
        const target = steps[Number(m.path.split('.')[1])]?.next;
        return typeof target === 'string' && !['next', 'exit'].includes(target) && !steps.some((s) => s.id === target);
      }
      if (m.kind === 'bad-duration') {
        const value = m.path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], m.definition);
        return typeof value !== 'string' || !parseDuration(value).ok;
      }
      return false;
    });
    try {
      fc.assert(
        fc.property(breaking, (mutation) => {
          const result = validateCampaign(mutation.definition);
          counter.count(mutation.kind);
          expect(result.ok).toBe(false);
          if (!result.ok) expectNamedProblems(result.problems);
        }),
        fuzzParameters(FUZZ_RUNS * 3),
      );
    } finally {
      counter.done();
    }
  });

  it('generated valid campaigns load from YAML and compile, every duration a positive number of milliseconds', () => {
    const counter = tally.property('valid generated campaigns');
    try {
      fc.assert(
        fc.property(validCampaign, (definition) => {
          counter.count('valid');
          const loaded = parseCampaignText(stringifyYaml(definition), 'generated.yaml');
          const campaign = compileCampaign(loaded, 3);
          expect(campaign.steps).toHaveLength((definition.steps as unknown[]).length);
          for (const step of campaign.steps) {
            if (step.type === 'wait') expect(step.durationMs).toBeGreaterThan(0);
            if (step.type === 'wait_for_event') expect(step.timeoutMs).toBeGreaterThan(0);
          }
        }),
        fuzzParameters(FUZZ_RUNS * 3),
      );
    } finally {
      counter.done();
    }
  });

  it('a campaigns folder with one mutated file: loads, or throws CampaignDefinitionError naming that file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'beckon-fuzz-campaigns-'));
    const counter = tally.property('loadCampaignFiles(folder with a mutated file)');
    try {
      fc.assert(
        fc.property(mutatedCampaign, fc.constantFrom('yaml', 'json'), (mutation, format) => {
          for (const old of ['fuzz.yaml', 'fuzz.json']) rmSync(join(dir, old), { force: true });
          const file = join(dir, `fuzz.${format}`);
          writeFileSync(file, format === 'json' ? JSON.stringify(mutation.definition) : stringifyYaml(mutation.definition));
          try {
            const loaded = loadCampaignFiles(dir);
            counter.count('loaded');
            expect(loaded.campaigns).toHaveLength(1);
          } catch (err) {
            counter.count('problems');
            expect(err).toBeInstanceOf(CampaignDefinitionError);
            expect((err as CampaignDefinitionError).message).toContain(file);
            expectNamedProblems((err as CampaignDefinitionError).problems);
          }
        }),
        fuzzParameters(FUZZ_RUNS),
      );
    } finally {
      counter.done();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the seed campaigns themselves load (the mutations start from valid documents)', () => {
    for (const { file, definition } of seedCampaigns) expect({ file, ok: validateCampaign(definition).ok }).toEqual({ file, ok: true });
  });
});

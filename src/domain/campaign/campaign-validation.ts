import type { z } from 'zod';
import { campaignDefinitionSchema, type CampaignDefinition, type CampaignStepDefinition } from './campaign-schema';
import { jsonLimitProblem } from '../json-limits';
import { createTemplateEngine, templateTexts, templateVariableProblems } from './template-variables';
import { CONTROL_ARM, GLOBAL_CONTROL_ARM } from '../experiments/experiment-assignment';

/** Parses templates the way the send path renders them (strict variables). */
const liquid = createTemplateEngine();

export interface DefinitionProblem {
  /** Where in the definition, e.g. `steps[2].duration`; empty for the whole definition. */
  path: string;
  reason: string;
}

export type ValidationResult = { ok: true; definition: CampaignDefinition } | { ok: false; problems: DefinitionProblem[] };

/** `steps[2].duration` from zod's ["steps", 2, "duration"]. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), '');
}

function zodProblems(error: z.ZodError): DefinitionProblem[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), reason: issue.message }));
}

/** Step ids a step can go to, with the field that names each; "next" is resolved to the following step. */
function edges(steps: readonly CampaignStepDefinition[], index: number): { field: string; target: string }[] {
  const step = steps[index]!;
  const following = steps[index + 1]?.id ?? 'exit';
  const resolve = (target: string | undefined) => (target === undefined || target === 'next' ? following : target);
  switch (step.type) {
    case 'exit':
      return [];
    case 'wait_for_event':
      return [
        { field: 'onEvent', target: resolve(step.onEvent) },
        { field: 'onTimeout', target: resolve(step.onTimeout) },
      ];
    case 'branch':
      return [
        { field: 'then', target: resolve(step.then) },
        { field: 'else', target: resolve(step.else) },
      ];
    case 'split':
      return step.variants.map((variant, i) => ({ field: `variants[${i}].next`, target: resolve(variant.next) }));
    default:
      return [{ field: 'next', target: resolve(step.next) }];
  }
}

/** Steps that choose where to go with fields of their own; the shared `next` means nothing on them. */
const OWN_JUMPS: Partial<Record<CampaignStepDefinition['type'], string>> = {
  wait_for_event: 'onEvent and onTimeout',
  branch: 'then and else',
  split: "each variant's next",
};

/** Checks what a schema cannot: references between steps and templates, split shares, reachability. */
function semanticProblems(definition: CampaignDefinition): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const { steps, templates } = definition;
  const indexById = new Map<string, number>();
  problems.push(...templateProblems(templates));
  steps.forEach((step, i) => {
    if (step.id === 'exit' || step.id === 'next') problems.push({ path: `steps[${i}].id`, reason: `"${step.id}" is reserved for jumps; choose another id` });
    else if (indexById.has(step.id)) problems.push({ path: `steps[${i}].id`, reason: `"${step.id}" is already the id of steps[${indexById.get(step.id)}]` });
    else indexById.set(step.id, i);
  });

  const unknownTemplate = (path: string, name: string) => {
    if (name in templates) return;
    const known = Object.keys(templates);
    problems.push({ path, reason: `"${name}" is not a template of this campaign (${known.length ? `known: ${known.join(', ')}` : 'it defines none'})` });
  };
  const sharesProblem = (path: string, variants: readonly { percent: number }[]) => {
    const total = variants.reduce((sum, variant) => sum + variant.percent, 0);
    if (Math.abs(total - 100) > 1e-9) problems.push({ path, reason: `percentages add up to ${total}, not 100` });
  };
  const variantSteps: number[] = [];
  steps.forEach((step, i) => {
    if (step.type === 'message') {
      if ((step.template === undefined) === (step.variants === undefined)) {
        problems.push({ path: `steps[${i}]`, reason: 'a message step names either a template or variants (templates with shares), not both nor neither' });
      }
      if (step.template !== undefined) unknownTemplate(`steps[${i}].template`, step.template);
      if (step.variants) {
        variantSteps.push(i);
        step.variants.forEach((variant, v) => unknownTemplate(`steps[${i}].variants[${v}].template`, variant.template));
        sharesProblem(`steps[${i}].variants`, step.variants);
        if (step.variables !== undefined) problems.push({ path: `steps[${i}].variables`, reason: 'with variants, variables go on each variant' });
      }
    }
    if (step.type === 'split') {
      variantSteps.push(i);
      sharesProblem(`steps[${i}].variants`, step.variants);
    }
    const named = step.type === 'split' ? step.variants : step.type === 'message' ? step.variants : undefined;
    if (named) {
      const names = new Set<string>();
      named.forEach((variant, v) => {
        if (variant.name === CONTROL_ARM || variant.name === GLOBAL_CONTROL_ARM) {
          problems.push({ path: `steps[${i}].variants[${v}].name`, reason: `"${variant.name}" is the name of a control group; choose another` });
        }
        else if (names.has(variant.name)) problems.push({ path: `steps[${i}].variants[${v}].name`, reason: `"${variant.name}" is already a variant of this step` });
        names.add(variant.name);
      });
    }
    if (OWN_JUMPS[step.type] && 'next' in step && step.next !== undefined) {
      problems.push({ path: `steps[${i}].next`, reason: `a ${step.type} step goes on by ${OWN_JUMPS[step.type]}, so next would be ignored; remove it` });
    }
    for (const edge of edges(steps, i)) {
      if (edge.target !== 'exit' && !indexById.has(edge.target)) {
        problems.push({ path: `steps[${i}].${edge.field}`, reason: `"${edge.target}" is not a step id, "next" or "exit"` });
      }
    }
  });
  // An entry's variant is one name: the experiment is the first step with variants; later ones would be measured as one.
  if (variantSteps.length > 1) {
    problems.push({ path: `steps[${variantSteps[1]}].variants`, reason: `only one step may have variants (steps[${variantSteps[0]}] has them already): an entry's results are counted per one variant` });
  }
  if (definition.winner && definition.winner.minSamples === undefined && definition.winner.after === undefined) {
    problems.push({ path: 'winner', reason: 'must say when the winner is decided: minSamples (entrants per variant) or after (a duration)' });
  }
  if (definition.winner && !definition.goal) problems.push({ path: 'winner', reason: 'a winner by conversion_rate needs a goal' });
  if (definition.winner && variantSteps.length === 0) problems.push({ path: 'winner', reason: 'a winner needs variants (a split step or a message step with variants)' });
  if (problems.length > 0) return problems;
  problems.push(...templateVariableProblems(definition, liquid));

  const reached = new Set<number>([0]);
  const queue = [0];
  while (queue.length > 0) {
    const index = queue.pop()!;
    for (const edge of edges(steps, index)) {
      const next = indexById.get(edge.target);
      if (next !== undefined && !reached.has(next)) {
        reached.add(next);
        queue.push(next);
      }
    }
  }
  steps.forEach((step, i) => {
    if (!reached.has(i)) problems.push({ path: `steps[${i}]`, reason: `step "${step.id}" is unreachable from the first step` });
  });
  problems.push(...loopProblems(steps, indexById));
  return problems;
}

/**
 * Journeys run forwards: a step that can lead back to itself would spin without waiting, or
 * repeat a send that its delivery key then swallows. Such a definition is rejected.
 */
function loopProblems(steps: readonly CampaignStepDefinition[], indexById: Map<string, number>): DefinitionProblem[] {
  const state = new Map<number, 'open' | 'done'>();
  const problems: DefinitionProblem[] = [];
  const visit = (index: number): void => {
    state.set(index, 'open');
    for (const edge of edges(steps, index)) {
      const next = indexById.get(edge.target);
      if (next === undefined) continue;
      if (state.get(next) === 'open') {
        problems.push({ path: `steps[${index}].${edge.field}`, reason: `"${edge.target}" leads back to an earlier step; journeys must not loop` });
      } else if (!state.has(next)) visit(next);
    }
    state.set(index, 'done');
  };
  if (steps.length > 0) visit(0);
  return problems;
}


/** Every text of every template must parse as Liquid, so a typo fails at load, not at send time. */
function templateProblems(templates: CampaignDefinition['templates']): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  for (const [name, template] of Object.entries(templates)) {
    for (const { field, text } of templateTexts(template)) {
      try {
        liquid.parse(text);
      } catch (err) {
        problems.push({ path: `templates.${name}.${field}`, reason: `is not a valid Liquid template: ${(err as Error).message.split(',')[0]}` });
      }
    }
  }
  return problems;
}

/** Far deeper than a webhook body or step variables need; the checks below walk documents recursively. */
const MAX_DEFINITION_DEPTH = 64;

/** Validates a parsed YAML/JSON definition: every problem with its path and reason, or the typed definition. */
export function validateCampaign(input: unknown): ValidationResult {
  const unstorable = jsonLimitProblem(input, MAX_DEFINITION_DEPTH);
  if (unstorable) {
    const path = (unstorable.kind === 'depth' ? unstorable.path.slice(0, 2) : unstorable.path).map((key) => (/^\d+$/.test(key) ? Number(key) : key));
    return { ok: false, problems: [{ path: formatPath(path), reason: unstorable.reason }] };
  }
  const parsed = campaignDefinitionSchema.safeParse(input);
  if (!parsed.success) return { ok: false, problems: zodProblems(parsed.error) };
  const problems = semanticProblems(parsed.data);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, definition: parsed.data };
}

/** A definition that cannot be loaded; the message lists each problem as `path: reason`. */
export class CampaignDefinitionError extends Error {
  constructor(
    readonly source: string,
    readonly problems: DefinitionProblem[],
  ) {
    super(`${source}: invalid campaign\n${problems.map((p) => `  ${p.path || '(campaign)'}: ${p.reason}`).join('\n')}`);
    this.name = 'CampaignDefinitionError';
  }
}

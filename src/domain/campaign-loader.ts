import type { z } from 'zod';
import { campaignDefinitionSchema, type CampaignDefinition, type CampaignStepDefinition } from './campaign-schema';

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

/** Checks what a schema cannot: references between steps and templates, split shares, reachability. */
function semanticProblems(definition: CampaignDefinition): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const { steps, templates } = definition;
  const indexById = new Map<string, number>();
  steps.forEach((step, i) => {
    if (indexById.has(step.id)) problems.push({ path: `steps[${i}].id`, reason: `"${step.id}" is already the id of steps[${indexById.get(step.id)}]` });
    else indexById.set(step.id, i);
  });

  steps.forEach((step, i) => {
    if (step.type === 'message' && !(step.template in templates)) {
      const known = Object.keys(templates);
      problems.push({
        path: `steps[${i}].template`,
        reason: `"${step.template}" is not a template of this campaign (${known.length ? `known: ${known.join(', ')}` : 'it defines none'})`,
      });
    }
    if (step.type === 'split') {
      const total = step.variants.reduce((sum, variant) => sum + variant.percent, 0);
      if (Math.abs(total - 100) > 1e-9) problems.push({ path: `steps[${i}].variants`, reason: `percentages add up to ${total}, not 100` });
    }
    for (const edge of edges(steps, i)) {
      if (edge.target !== 'exit' && !indexById.has(edge.target)) {
        problems.push({ path: `steps[${i}].${edge.field}`, reason: `"${edge.target}" is not a step id, "next" or "exit"` });
      }
    }
  });
  if (problems.length > 0) return problems;

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
  return problems;
}

/** Validates a parsed YAML/JSON definition: every problem with its path and reason, or the typed definition. */
export function validateCampaign(input: unknown): ValidationResult {
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

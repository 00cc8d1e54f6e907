import { Liquid } from 'liquidjs';
import type { CampaignDefinition, TemplateDefinition } from './campaign-schema';

/**
 * What a message template may refer to, checked when a campaign is published so that a missing
 * variable is a load error, not a blank in a sent message:
 * - `traits.*` (the user's profile) and `entry.*` (the entry event's properties) may be absent for
 *   a given user, so a template that uses one without `| default: ...` fails that send (strict rendering);
 * - `variables.X` must be set by every message step that uses the template;
 * - `unsubscribeUrl` is given to email templates; nothing else exists.
 */
export const TEMPLATE_ROOTS = ['traits', 'entry', 'variables', 'unsubscribeUrl'] as const;

/** Strict: an unknown variable throws; `lenientIf` still lets `if` and `| default:` test for a missing one. */
export function createTemplateEngine(): Liquid {
  return new Liquid({ strictVariables: true, lenientIf: true, ownPropertyOnly: true });
}

/** Every Liquid text in a template with its field path (a webhook body is walked to its leaves). */
export function templateTexts(template: TemplateDefinition): { field: string; text: string }[] {
  const texts: { field: string; text: string }[] = [];
  const walk = (value: unknown, field: string): void => {
    if (typeof value === 'string') texts.push({ field, text: value });
    else if (Array.isArray(value)) value.forEach((item, i) => walk(item, `${field}[${i}]`));
    else if (value && typeof value === 'object') for (const [key, inner] of Object.entries(value)) walk(inner, field ? `${field}.${key}` : key);
  };
  for (const [field, value] of Object.entries(template)) if (field !== 'channel') walk(value, field);
  return texts;
}

export interface TemplateProblem {
  path: string;
  reason: string;
}

/** References a template makes that the campaign cannot provide; assumes every text parses. */
export function templateVariableProblems(definition: CampaignDefinition, engine: Liquid = createTemplateEngine()): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  for (const [name, template] of Object.entries(definition.templates)) {
    // Steps that send it, directly or as one of their variants, with the variables each gives it.
    const users = definition.steps.flatMap((step) => {
      if (step.type !== 'message') return [];
      if (step.template === name) return [{ id: step.id, variables: step.variables }];
      return (step.variants ?? []).filter((variant) => variant.template === name).map((variant) => ({ id: `${step.id}=${variant.name}`, variables: variant.variables }));
    });
    for (const { field, text } of templateTexts(template)) {
      let segments: unknown[][];
      try {
        segments = engine.globalVariableSegmentsSync(engine.parse(text));
      } catch {
        continue; // The parse error is reported on its own.
      }
      for (const path of segments) {
        const [root, key] = path;
        const at = `templates.${name}.${field}`;
        if (!(TEMPLATE_ROOTS as readonly unknown[]).includes(root)) {
          problems.push({ path: at, reason: `"${String(root)}" is not a template variable (use ${TEMPLATE_ROOTS.join(', ')})` });
        } else if (root === 'unsubscribeUrl' && template.channel !== 'email') {
          problems.push({ path: at, reason: 'unsubscribeUrl exists only in email templates' });
        } else if (root === 'variables') {
          for (const step of users) {
            if (typeof key !== 'string') continue;
            if (!(step.variables && key in step.variables)) {
              problems.push({ path: at, reason: `variables.${key} is not set by step "${step.id}", which uses this template` });
            }
          }
        }
      }
    }
  }
  return problems;
}

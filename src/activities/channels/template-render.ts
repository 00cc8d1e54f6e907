import type { Liquid, Template } from 'liquidjs';
import { createTemplateEngine } from '../../domain/campaign/template-variables';
import { SendRejected } from './channel-sender';

/** Which text of which campaign version a render is of: a version's templates never change, so this names one parse. */
export interface TemplateAt {
  campaignId: string;
  campaignVersion: number;
  stepId: string;
  /** The template's field: `subject`, `title`, `body.items[0]`... */
  field: string;
}

/** Parsed texts a renderer keeps; past it the least recently used is dropped (a worker sends a few campaigns' versions). */
const MAX_TEMPLATES = 2_000;

/** Where in a message a text sits: the message's campaign version and step, and the field. */
export const templateAt = (message: Omit<TemplateAt, 'field'>, field: string): TemplateAt => ({
  campaignId: message.campaignId,
  campaignVersion: message.campaignVersion,
  stepId: message.stepId,
  field,
});

/**
 * Renders Liquid strictly: a variable the user's data lacks fails the send for good, never a blank
 * in the message. A text named by `at` is parsed once per campaign version and step, not per send.
 */
export function createRenderer(options: { engine?: Liquid; maxTemplates?: number } = {}) {
  const engine = options.engine ?? createTemplateEngine();
  const max = options.maxTemplates ?? MAX_TEMPLATES;
  const parsed = new Map<string, { text: string; templates: Template[] }>();

  const compiled = (text: string, at: TemplateAt): Template[] => {
    const key = `${at.campaignId}\u0000${at.campaignVersion}\u0000${at.stepId}\u0000${at.field}`;
    const known = parsed.get(key);
    // The text is compared too: a test or a restored database may reuse a version number for other texts.
    if (known && known.text === text) {
      parsed.delete(key);
      parsed.set(key, known);
      return known.templates;
    }
    const templates = engine.parse(text);
    parsed.delete(key);
    parsed.set(key, { text, templates });
    if (parsed.size > max) parsed.delete(parsed.keys().next().value!);
    return templates;
  };

  return async (text: string, context: object, at?: TemplateAt): Promise<string> => {
    try {
      return String(await engine.render(at ? compiled(text, at) : engine.parse(text), context));
    } catch (err) {
      throw new SendRejected('template_error', (err as Error).message, false);
    }
  };
}

export type Render = ReturnType<typeof createRenderer>;

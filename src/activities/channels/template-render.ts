import { createTemplateEngine } from '../../domain/campaign/template-variables';
import { SendRejected } from './channel-sender';

/** Renders Liquid strictly: a variable the user's data lacks fails the send for good, never a blank in the message. */
export function createRenderer() {
  const engine = createTemplateEngine();
  return async (text: string, context: object): Promise<string> => {
    try {
      return String(await engine.parseAndRender(text, context));
    } catch (err) {
      throw new SendRejected('template_error', (err as Error).message, false);
    }
  };
}

export type Render = ReturnType<typeof createRenderer>;

import { createTemplateEngine } from '../../domain/campaign/template-variables';
import { SendRejected } from './channel-sender';
import { createRenderer, type TemplateAt } from './template-render';

describe('createRenderer', () => {
  const at = (campaignVersion: number, field = 'title'): TemplateAt => ({ campaignId: 'welcome', campaignVersion, stepId: 'hello', field });

  const counted = () => {
    const engine = createTemplateEngine();
    const parse = jest.spyOn(engine, 'parse');
    return { render: createRenderer({ engine }), parse };
  };

  it('parses a campaign version\'s text once, whatever the number of sends', async () => {
    const { render, parse } = counted();
    expect(await render('Hi {{ traits.name }}', { traits: { name: 'Ada' } }, at(1))).toBe('Hi Ada');
    expect(await render('Hi {{ traits.name }}', { traits: { name: 'Bob' } }, at(1))).toBe('Hi Bob');
    expect(parse).toHaveBeenCalledTimes(1);
  });

  it('parses again for a new version, another field, or a text that is not the one it kept', async () => {
    const { render, parse } = counted();
    await render('Hi', {}, at(1));
    await render('Hi', {}, at(2));
    await render('Hi', {}, at(2, 'body'));
    expect(await render('Hello', {}, at(2))).toBe('Hello');
    expect(parse).toHaveBeenCalledTimes(4);
  });

  it('keeps at most the given number of texts, dropping the least recently used', async () => {
    const engine = createTemplateEngine();
    const parse = jest.spyOn(engine, 'parse');
    const render = createRenderer({ engine, maxTemplates: 2 });
    await render('a', {}, at(1));
    await render('b', {}, at(2));
    await render('a', {}, at(1));
    await render('c', {}, at(3));
    await render('a', {}, at(1));
    await render('b', {}, at(2));
    expect(parse.mock.calls.map(([text]) => text)).toEqual(['a', 'b', 'c', 'b']);
  });

  it('fails a send for good on a missing variable or a broken text, and keeps no broken text', async () => {
    const { render, parse } = counted();
    await expect(render('Hi {{ traits.name }}', { traits: {} }, at(1))).rejects.toBeInstanceOf(SendRejected);
    await expect(render('Hi {% if %}', {}, at(2))).rejects.toMatchObject({ reason: 'template_error', retryable: false });
    await expect(render('Hi {% if %}', {}, at(2))).rejects.toMatchObject({ reason: 'template_error' });
    expect(parse).toHaveBeenCalledTimes(3);
  });
});

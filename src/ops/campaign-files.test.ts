import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CampaignDefinitionError } from '../domain/campaign/campaign-validation';
import { loadCampaignFiles, parseCampaignText } from './campaign-files';

const seedDir = resolve(__dirname, '..', '..', 'campaigns');

describe('the shipped campaigns', () => {
  it('all load, with the seed scenarios and the delivery policy', () => {
    const { campaigns, policy } = loadCampaignFiles(seedDir);
    expect(campaigns.map((c) => c.definition.id).sort()).toEqual(['advanced-features-nudge', 'pricing-no-purchase', 'welcome']);
    expect(policy).toEqual({
      frequencyCap: { perDay: 2, exemptCategories: ['transactional'] },
      quietHours: { start: '21:00', end: '08:00', fallbackTimezone: 'UTC', channels: ['push', 'email', 'webhook'] },
      duringQuietHours: 'defer',
      consent: { optIn: [] },
      tracking: { requireConsent: false },
    });
    const nudge = campaigns.find((c) => c.definition.id === 'advanced-features-nudge')!.definition;
    expect(nudge.entry.absence).toEqual({ events: ['Used Advanced Feature', 'Opened App', 'Created Project'], within: '72h' });
    expect(nudge.steps.map((s) => s.type)).toEqual(['message', 'wait', 'message', 'wait_until', 'message']);
  });
});

describe('parseCampaignText', () => {
  // Found by the fuzz (test/fuzz): yaml parses these, then throws a ReferenceError turning them into data, which was a 500 on ops validate.
  it.each([
    ['an alias bomb', 'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]'],
  ])('answers %s with a problem, not an exception', (_label, text) => {
    expect(() => parseCampaignText(text, 'bomb.yaml')).toThrow(CampaignDefinitionError);
    expect(() => parseCampaignText(text, 'bomb.yaml')).toThrow(/bomb.yaml: invalid campaign\n {2}\(campaign\): cannot be read as data: .*alias/i);
  });

  it('reports a YAML syntax error with its line', () => {
    expect(() => parseCampaignText('id: x\nname: [unclosed\n', 'bad.yaml')).toThrow(/bad.yaml: invalid campaign\n {2}line \d+: /);
  });

  it('lists every problem of a file, each with its path', () => {
    const text = `
id: Bad Id
name: ""
entry: { event: Viewed Pricing }
templates: {}
steps: []
`;
    try {
      parseCampaignText(text, 'campaigns/bad.yaml');
      throw new Error('expected CampaignDefinitionError');
    } catch (err) {
      expect(err).toBeInstanceOf(CampaignDefinitionError);
      expect((err as CampaignDefinitionError).problems.map((p) => p.path).sort()).toEqual(['id', 'name', 'steps']);
      expect((err as Error).message).toContain('campaigns/bad.yaml: invalid campaign');
    }
  });
});

describe('loadCampaignFiles', () => {
  it('rejects two files with the same campaign id, naming both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'beckon-campaigns-'));
    const campaign = 'id: twin\nname: Twin\nentry: { event: X }\ntemplates: { t: { channel: in_app, title: T, body: B } }\nsteps: [{ id: s, type: message, template: t }]\n';
    writeFileSync(join(dir, 'a.yaml'), campaign);
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ id: 'twin', name: 'Twin 2', entry: { event: 'X' }, templates: { t: { channel: 'in_app', title: 'T', body: 'B' } }, steps: [{ id: 's', type: 'message', template: 't' }] }));
    expect(() => loadCampaignFiles(dir)).toThrow(/b\.json: invalid campaign\n {2}id: "twin" is also the id of .*a\.yaml/);
  });
});

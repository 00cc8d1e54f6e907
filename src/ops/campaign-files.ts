import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parseDocument } from 'yaml';
import { CampaignDefinitionError, formatPath, validateCampaign, type DefinitionProblem } from '../domain/campaign/campaign-validation';
import { deliveryPolicySchema, type CampaignDefinition, type DeliveryPolicy } from '../domain/campaign/campaign-schema';

/** The file in the campaigns folder that holds the cross-campaign delivery policy, not a campaign. */
export const POLICY_FILE = 'policy.yaml';

export interface CampaignFiles {
  campaigns: { file: string; definition: CampaignDefinition }[];
  policy: DeliveryPolicy | undefined;
}

/** Parses YAML or JSON text; a syntax error is a problem at the line where it is. */
function parseText(text: string): { value: unknown } | { problems: DefinitionProblem[] } {
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    return {
      problems: document.errors.map((error) => ({
        path: error.linePos ? `line ${error.linePos[0].line}` : '',
        reason: error.message.split('\n')[0] ?? error.message,
      })),
    };
  }
  try {
    return { value: document.toJS() };
  } catch (err) {
    // Parsed, but cannot become plain data: an alias bomb past the alias limit, an alias to nothing, a broken merge key.
    return { problems: [{ path: '', reason: `cannot be read as data: ${(err as Error).message}` }] };
  }
}

/** Validates one campaign file's text; throws CampaignDefinitionError naming the file, each path and reason. */
export function parseCampaignText(text: string, source: string): CampaignDefinition {
  const parsed = parseText(text);
  if ('problems' in parsed) throw new CampaignDefinitionError(source, parsed.problems);
  const result = validateCampaign(parsed.value);
  if (!result.ok) throw new CampaignDefinitionError(source, result.problems);
  return result.definition;
}

export function parsePolicyText(text: string, source: string): DeliveryPolicy {
  const parsed = parseText(text);
  if ('problems' in parsed) throw new CampaignDefinitionError(source, parsed.problems);
  const result = deliveryPolicySchema.safeParse(parsed.value);
  if (!result.success) {
    throw new CampaignDefinitionError(source, result.error.issues.map((issue) => ({ path: formatPath(issue.path), reason: issue.message })));
  }
  return result.data;
}

/** Loads every *.yaml, *.yml and *.json in the folder; all files are checked before the first error is thrown. */
export function loadCampaignFiles(dir: string): CampaignFiles {
  const files = readdirSync(dir).filter((name) => ['.yaml', '.yml', '.json'].includes(extname(name))).sort();
  const errors: CampaignDefinitionError[] = [];
  const campaigns: CampaignFiles['campaigns'] = [];
  let policy: DeliveryPolicy | undefined;
  for (const name of files) {
    const file = join(dir, name);
    try {
      const text = readFileSync(file, 'utf8');
      if (name === POLICY_FILE) policy = parsePolicyText(text, file);
      else campaigns.push({ file, definition: parseCampaignText(text, file) });
    } catch (err) {
      if (!(err instanceof CampaignDefinitionError)) throw err;
      errors.push(err);
    }
  }
  const seen = new Map<string, string>();
  for (const { file, definition } of campaigns) {
    const other = seen.get(definition.id);
    if (other) errors.push(new CampaignDefinitionError(file, [{ path: 'id', reason: `"${definition.id}" is also the id of ${other}` }]));
    seen.set(definition.id, file);
  }
  if (errors.length === 1) throw errors[0]!;
  if (errors.length > 1) throw new AggregateError(errors, errors.map((error) => error.message).join('\n'));
  return { campaigns, policy };
}

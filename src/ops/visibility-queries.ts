import { journeyWorkflow } from '../workflows/journey-workflow';
import { userWorkflow } from '../workflows/user-workflow';

/** Visibility queries ops run, as the README shows them for the Web UI and `temporal workflow list --query`; workflow types are the functions' names, so a rename reaches them. */

const IDENTIFIER = /^[a-z0-9][a-z0-9_-]*$/;
const PSEUDONYM = /^[A-Za-z0-9_-]+$/;

/** Only identifiers the schema allows reach a query, so no quoting is needed and none can be injected. */
function checked(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new Error(`not a valid ${what}: ${JSON.stringify(value)}`);
  return value;
}

/** Journeys of a campaign; `running` keeps those still running, `status` narrows to one BeckonJourneyStatus. */
export function campaignJourneysQuery(campaignId: string, options: { running?: boolean; status?: string; step?: string } = {}): string {
  const parts = [`WorkflowType = '${journeyWorkflow.name}'`, `BeckonCampaign = '${checked(campaignId, IDENTIFIER, 'campaign id')}'`];
  if (options.running) parts.push(`ExecutionStatus = 'Running'`);
  if (options.status) parts.push(`BeckonJourneyStatus = '${checked(options.status, IDENTIFIER, 'journey status')}'`);
  if (options.step) parts.push(`BeckonStep = '${checked(options.step, IDENTIFIER, 'step id')}'`);
  return parts.join(' AND ');
}

/** Every journey of one user, newest first as Temporal lists them. */
export function userJourneysQuery(pseudonym: string): string {
  return `WorkflowType = '${journeyWorkflow.name}' AND BeckonUser = '${checked(pseudonym, PSEUDONYM, 'pseudonym')}'`;
}

/**
 * Journeys of every user that have not run their first workflow task yet, so carry no BeckonUser
 * (it is upserted there): an erasure picks its user's out by workflow ID.
 */
export function unlabelledJourneysQuery(): string {
  return `WorkflowType = '${journeyWorkflow.name}' AND ExecutionStatus = 'Running' AND BeckonUser IS NULL`;
}

/** The user workflows of a list of pseudonyms. */
export function userWorkflowsQuery(pseudonyms: readonly string[]): string {
  const ids = pseudonyms.map((p) => `'user:${checked(p, PSEUDONYM, 'pseudonym')}'`);
  return `WorkflowType = '${userWorkflow.name}' AND WorkflowId IN (${ids.join(', ')})`;
}

/**
 * Narrows an ops-supplied visibility query to running user workflows. Its parentheses must balance
 * outside quotes, so it cannot close ours and widen the selection to other workflows.
 */
export function userWorkflowsMatching(query: string): string {
  let depth = 0;
  let quote: string | undefined;
  for (const char of query) {
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"' || char === '`') quote = char;
    else if (char === '(') depth += 1;
    else if (char === ')' && --depth < 0) break;
  }
  if (depth !== 0 || quote) throw new Error('the query\'s parentheses or quotes do not balance');
  return `WorkflowType = '${userWorkflow.name}' AND (${query})`;
}

import { campaignJourneysQuery, userJourneysQuery, userWorkflowsMatching, userWorkflowsQuery } from './visibility-queries';

describe('visibility queries', () => {
  it('select the running journeys of a campaign, optionally at one status and step', () => {
    expect(campaignJourneysQuery('welcome', { running: true })).toBe(
      `WorkflowType = 'journeyWorkflow' AND BeckonCampaign = 'welcome' AND ExecutionStatus = 'Running'`,
    );
    expect(campaignJourneysQuery('nudge', { running: true, status: 'waiting', step: 'wait-4h' })).toBe(
      `WorkflowType = 'journeyWorkflow' AND BeckonCampaign = 'nudge' AND ExecutionStatus = 'Running' AND BeckonJourneyStatus = 'waiting' AND BeckonStep = 'wait-4h'`,
    );
  });

  it('select one user by pseudonym', () => {
    expect(userJourneysQuery('abc_-1')).toBe(`WorkflowType = 'journeyWorkflow' AND BeckonUser = 'abc_-1'`);
    expect(userWorkflowsQuery(['a', 'b'])).toBe(`WorkflowType = 'userWorkflow' AND WorkflowId IN ('user:a', 'user:b')`);
  });

  it('refuse anything that could break out of the quotes', () => {
    expect(() => campaignJourneysQuery("x' OR 1=1 OR 'a")).toThrow(/campaign id/);
    expect(() => userJourneysQuery("p' OR ''='")).toThrow(/pseudonym/);
  });

  it('keep an ops query inside the user-workflow selection', () => {
    expect(userWorkflowsMatching("BeckonUser = 'a' OR (StartTime > '2026-01-01')")).toBe(`WorkflowType = 'userWorkflow' AND (BeckonUser = 'a' OR (StartTime > '2026-01-01'))`);
    expect(userWorkflowsMatching("BeckonUser = ')'")).toContain("BeckonUser = ')'");
    expect(() => userWorkflowsMatching("BeckonUser = 'a') OR (WorkflowType = 'journeyWorkflow'")).toThrow(/balance/);
    expect(() => userWorkflowsMatching("BeckonUser = 'a")).toThrow(/balance/);
  });
});

import {
  CancellationScope,
  condition,
  isCancellation,
  log,
  patched,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { Activities } from '../activities';
import { deliveryKey, END, type CampaignStep } from '../domain/campaign/campaign-model';
import { evaluateCondition, matchesAllFilters, readPath } from '../domain/conditions';
import { eventFilterSubject, type TrackedEvent } from '../domain/events';
import { assignExperiment, experimentStep, type ExperimentAssignment } from '../domain/experiments/experiment-assignment';
import { assignVariant, splitBucket } from '../domain/split';
import { countEvent } from '../domain/user-state';
import { effectiveZone, nextLocalTime, startOfNextLocalDay } from '../domain/time';
import { quickLocalActivityOptions } from './activity-policies';
import { signalExternal } from './external-signals';
import { runMessageStep } from './message-step';
import {
  journeyEndedSignal,
  journeyEventSignal,
  journeyQuery,
  userWorkflowId,
  type JourneyEndedSignal,
  type JourneyResult,
  type JourneyStatus,
  type JourneyWorkflowInput,
} from './messages';
import { createPauseGate } from './pause-gate';
import { beckonCampaign, beckonCampaignVersion, beckonJourneyStatus, beckonStep, beckonUser, beckonVariant } from './search-attributes';

/**
 * From this patch on, the send activity answers `paused` itself, so a message step costs one
 * activity instead of a local activity (with its own workflow task round trip) and an activity.
 * Histories recorded before it replay the local activity first.
 */
export const PAUSE_CHECKED_BY_SEND = 'pause-checked-by-send';

/**
 * From this patch on, a journey that is cancelled or fails shows `cancelled` or `failed` at step `end`
 * and tells its user workflow so; histories recorded before it kept their last step and said `exited`.
 */
export const END_OUTCOME_SHOWN = 'end-outcome-shown';

/**
 * From this patch on, a journey takes its experiment arm at start (holdout or variant), shows it as
 * BeckonVariant, records its entry and its end in Postgres, and a held-out entry sends nothing.
 */
export const EXPERIMENT_ASSIGNMENT = 'experiment-assignment';

const { recordEntry, recordJourneyEnd } = proxyLocalActivities<Activities>(quickLocalActivityOptions);
const { endJourney } = proxyLocalActivities<Activities>(quickLocalActivityOptions);

/** The reason class metrics count an exit under. */
function exitKindOf(reason: string | undefined): string {
  if (reason === undefined) return 'cancelled';
  if (reason.startsWith('goal ')) return 'goal';
  if (reason.startsWith('exit step ')) return 'exit_step';
  return 'exit_event';
}

/** The message a step sends to this entry: its variant's template when the step is the experiment's. */
function messageFor(step: Extract<CampaignStep, { type: 'message' }>, assigned: ExperimentAssignment | undefined) {
  const variant = assigned && step.variants?.find((v) => v.name === assigned.variant);
  return variant ? { template: variant.template, channel: variant.channel, variables: variant.variables } : step;
}

function awaitedBy(step: Extract<CampaignStep, { type: 'wait_for_event' }>, entryEvent: TrackedEvent) {
  return (event: TrackedEvent) =>
    event.event === step.event &&
    matchesAllFilters(eventFilterSubject(event), step.filters) &&
    (!step.matchEntry || readPath(event.properties, step.matchEntry.property) === readPath(entryEvent.properties, step.matchEntry.entryProperty));
}

/**
 * One user's run through one campaign version. Events the user workflow forwards are kept in
 * `heard` from the start, so one that arrives before the journey reaches its wait still counts;
 * an exit event or the goal ends the journey at once, also in the middle of a wait.
 */
export async function journeyWorkflow(input: JourneyWorkflowInput): Promise<JourneyResult> {
  const { campaign, pseudonym, entry, entryEvent } = input;
  // Shapes 2 and 3 take every patched() branch below without a marker; shape 1 (journeys recorded before it) asks patched().
  const shape2 = input.version === 2 || input.version === 3;
  const startedAt = Date.now();
  let history = input.history;
  const heard: TrackedEvent[] = [];
  /** Heard events before this index were consumed by an earlier wait. */
  let consumed = 0;
  let exitReason: string | undefined;
  let converted = false;
  let delivered = 0;
  let status: JourneyStatus = 'running';
  const path: string[] = [];

  setHandler(journeyEventSignal, ({ event }) => {
    heard.push(event);
    history = { ...history, events: countEvent(history.events, event) };
    const exit = campaign.exitOn.find((rule) => rule.event === event.event && matchesAllFilters(eventFilterSubject(event), rule.filters));
    if (exit) exitReason ??= `exit event "${event.event}"`;
    const goal = campaign.goal;
    if (goal && event.event === goal.event && Date.now() - startedAt <= goal.withinMs) {
      converted = true;
      if (goal.exit) exitReason ??= `goal "${goal.event}" reached`;
    }
  });
  setHandler(journeyQuery, () => ({ step: path.at(-1), status, path, heard: heard.length }));

  // Shape 2 starts with its search attributes and upserts only those that change: one upsert per step at most.
  const shown = new Map<string, unknown>(shape2 ? workflowInfo().typedSearchAttributes.getAll().map((pair) => [pair.key.name, pair.value]) : []);
  const display = (pairs: SearchAttributeUpdatePair[]) => {
    const changed = shape2 ? pairs.filter((pair) => shown.get(pair.key.name) !== pair.value) : pairs;
    for (const pair of changed) shown.set(pair.key.name, pair.value);
    if (changed.length > 0) upsertSearchAttributes(changed);
  };
  const show = (step: string, next: JourneyStatus) => {
    status = next;
    display([
      { key: beckonStep, value: step },
      { key: beckonJourneyStatus, value: next },
    ]);
  };
  if (!shape2) {
    upsertSearchAttributes([
      { key: beckonUser, value: pseudonym },
      { key: beckonCampaign, value: campaign.id },
      { key: beckonCampaignVersion, value: campaign.version },
    ]);
  }
  const assigned = shape2 || patched(EXPERIMENT_ASSIGNMENT) ? assignExperiment(campaign, pseudonym) : undefined;
  const entryRecord = assigned && {
    campaignId: campaign.id,
    campaignVersion: campaign.version,
    pseudonym,
    entry,
    variant: assigned.variant,
    heldOut: assigned.heldOut,
    enteredAt: new Date(startedAt).toISOString(),
  };
  // Shape 3: a journey that starts with an in-app message records its entry in that send's transaction (one commit
  // fewer before the message is readable); held-out entries and other first steps record it here, as before.
  const first = campaign.steps[0];
  let entryInFirstSend = input.version === 3 && assigned && !assigned.heldOut && first?.type === 'message' && messageFor(first, assigned).channel === 'in_app'
    ? entryRecord
    : undefined;
  if (assigned) {
    // Shape 2 started with this arm (journeyStartAttributes): no upsert unless the assignment says otherwise.
    display([{ key: beckonVariant, value: assigned.variant }]);
    if (entryRecord && !entryInFirstSend) await recordEntry(entryRecord);
  }
  const exited = () => exitReason !== undefined;
  const holdWhilePaused = createPauseGate(campaign.id, (stepId) => show(stepId, 'paused'));

  let final: JourneyStatus = 'exited';
  try {
    let index = 0;
    while (index !== END && !exited()) {
      const step = campaign.steps[index]!;
      path.push(step.id);
      switch (step.type) {
        case 'message': {
          if (assigned?.heldOut) {
            // Held out: the journey goes on as everyone's does, so exits and goals are measured alike, but nothing is sent.
            index = step.next;
            break;
          }
          const pauseInSend = shape2 || patched(PAUSE_CHECKED_BY_SEND);
          if (!pauseInSend) {
            await holdWhilePaused(step.id, exited);
            if (exited()) break;
          }
          show(step.id, 'running');
          const message = messageFor(step, assigned);
          const template = campaign.templates[message.template]!;
          const outcome = await runMessageStep({
            pseudonym,
            deliveryKey: deliveryKey(campaign, pseudonym, entry, step.id),
            campaignId: campaign.id,
            campaignVersion: campaign.version,
            category: campaign.category,
            stepId: step.id,
            channel: message.channel,
            template,
            context: { entry: entryEvent.properties, traits: history.traits, variables: message.variables },
            ...(campaign.delivery && { delivery: campaign.delivery }),
            ...(pauseInSend && { holdIfPaused: true }),
            ...(entryInFirstSend && { entry: entryInFirstSend }),
          }, `${step.id}: ${message.channel} "${message.template}"`, exited, async () => {
            await holdWhilePaused(step.id, exited);
            if (!exited()) show(step.id, 'running');
          }, shape2 && message.channel === 'in_app');
          // Every outcome the step returns was committed with the entry (a failure thrown leaves it to the end).
          entryInFirstSend = undefined;
          if (outcome.status === 'sent') delivered += 1;
          // The reason only: a provider's detail may quote the user's address, and logs are not encrypted.
          else log.info(`message step ${step.id} not sent: ${outcome.status}`, { stepId: step.id, status: outcome.status, ...('reason' in outcome && { reason: outcome.reason }) });
          index = step.next;
          break;
        }
        case 'wait':
          show(step.id, 'waiting');
          await condition(exited, step.durationMs, { summary: `${step.id}: wait ${step.duration}` });
          index = step.next;
          break;
        case 'wait_until': {
          show(step.id, 'waiting');
          const zone = effectiveZone(typeof history.traits.timezone === 'string' ? history.traits.timezone : undefined, step.fallbackTimezone);
          const now = new Date(Date.now());
          const from = step.nextDay ? new Date(startOfNextLocalDay(now, zone).getTime() - 1) : now;
          const until = nextLocalTime(from, { at: step.at, timezone: zone, fallbackTimezone: step.fallbackTimezone, ...(step.weekdays && { weekdays: step.weekdays }) });
          await condition(exited, Math.max(until.getTime() - now.getTime(), 1), { summary: `${step.id}: until ${step.at} ${zone} (${until.toISOString()})` });
          index = step.next;
          break;
        }
        case 'wait_for_event': {
          show(step.id, 'waiting');
          const matches = awaitedBy(step, entryEvent);
          const find = () => heard.findIndex((event, i) => i >= consumed && matches(event));
          const found = await condition(() => exited() || find() >= 0, step.timeoutMs, { summary: `${step.id}: "${step.event}" within ${step.timeout}` });
          const at = find();
          if (at >= 0) consumed = at + 1;
          if (exited()) break;
          index = found && at >= 0 ? step.onEvent : step.onTimeout;
          break;
        }
        case 'branch':
          index = evaluateCondition(history, step.condition, Date.now()) ? step.then : step.else;
          break;
        case 'split': {
          const chosen = assigned && experimentStep(campaign)?.id === step.id ? step.variants.find((v) => v.name === assigned.variant) : undefined;
          const variant = chosen ?? assignVariant(step.variants, splitBucket(pseudonym, campaign.id, step.id));
          path.push(`${step.id}=${variant.name}`);
          index = variant.next;
          break;
        }
        case 'exit':
          exitReason = `exit step "${step.id}"`;
          break;
      }
    }
    final = exited() ? 'exited' : 'completed';
    if (exitReason) log.info(`journey exited: ${exitReason}`, { campaignId: campaign.id, entry, path });
    show('end', final);
    return { status: final, ...(exitReason && { reason: exitReason }), converted, delivered, path };
  } catch (err) {
    if (shape2 || patched(END_OUTCOME_SHOWN)) {
      final = isCancellation(err) ? 'cancelled' : 'failed';
      show('end', final);
      log.warn(`journey ${final} at step ${path.at(-1) ?? '(none)'}`, { campaignId: campaign.id, entry, error: String(err) });
    }
    throw err;
  } finally {
    // Also when the journey is cancelled or fails: the user workflow must free the campaign for re-entry.
    await CancellationScope.nonCancellable(async () => {
      // Shape 3's entry that no send recorded (an exit before the first step, a send that failed): recorded before its end.
      if (entryInFirstSend) await recordEntry(entryInFirstSend);
      const kind = final === 'exited' ? exitKindOf(exitReason) : final === 'cancelled' || final === 'failed' ? final : undefined;
      const end: Parameters<Activities['recordJourneyEnd']>[0] | undefined = assigned && {
        campaignId: campaign.id,
        pseudonym,
        entry,
        status: final === 'completed' ? 'completed' : 'exited',
        ...(kind && { exitKind: kind }),
        endedAt: new Date(Date.now()).toISOString(),
      };
      const signal: JourneyEndedSignal = { version: 1, campaignId: campaign.id, entry, status: final };
      if (shape2) {
        // One local activity, in the task that ends the journey: no signal command whose completion would take another task.
        await endJourney({ ...(end && { end }), userWorkflowId: userWorkflowId(pseudonym), signal });
        return;
      }
      if (end) await recordJourneyEnd(end);
      await tellUserWorkflow(pseudonym, signal);
    });
  }
}

/**
 * The user workflow frees the campaign for re-entry when it hears this. One that is gone (terminated,
 * erased) has nothing to free: signalExternal logs that, and the journey's own result still records the outcome.
 */
async function tellUserWorkflow(pseudonym: string, signal: JourneyEndedSignal): Promise<void> {
  await signalExternal(userWorkflowId(pseudonym), journeyEndedSignal, signal);
}

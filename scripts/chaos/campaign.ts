import { stringify } from 'yaml';

/** The two ways a chaos journey may end, and the message steps each one sends. */
export const PATHS = {
  replied: ['in-app', 'push', 'thanks'],
  silent: ['in-app', 'push', 'reminder'],
} as const;
export type JourneyPath = keyof typeof PATHS;

export const ENTRY_EVENT = 'Chaos Started';
export const REPLY_EVENT = 'Chaos Replied';
export const PING_EVENT = 'Chaos Ping';

/**
 * The campaign every chaos user walks: in-app, a short wait, push, then a wait for a reply that
 * ends in one email or the other. Transactional, so the daily cap of policy.yaml does not hold the
 * third message back; users live in a daytime zone, so quiet hours do not defer it.
 */
export function chaosCampaignYaml(id: string, timing: { pauseSeconds: number; replySeconds: number }): string {
  return stringify({
    id,
    name: `Chaos run ${id}`,
    category: 'transactional',
    entry: { event: ENTRY_EVENT },
    reentry: { mode: 'once' },
    templates: {
      hello: { channel: 'in_app', title: 'Chaos hello', body: 'Delivered once, whatever breaks.' },
      nudge: { channel: 'push', title: 'Chaos nudge', body: 'Still here?' },
      reminder: { channel: 'email', subject: 'Chaos reminder', text: 'You did not reply; this is the one reminder.' },
      thanks: { channel: 'email', subject: 'Chaos thanks', text: 'You replied; this is the one thank-you.' },
    },
    steps: [
      { id: 'in-app', type: 'message', template: 'hello' },
      { id: 'pause', type: 'wait', duration: `${timing.pauseSeconds} seconds` },
      { id: 'push', type: 'message', template: 'nudge' },
      { id: 'reply', type: 'wait_for_event', event: REPLY_EVENT, timeout: `${timing.replySeconds} seconds`, onEvent: 'thanks', onTimeout: 'reminder' },
      { id: 'reminder', type: 'message', template: 'reminder', next: 'exit' },
      { id: 'thanks', type: 'message', template: 'thanks' },
    ],
  });
}

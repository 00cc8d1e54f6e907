import type { Campaign } from './campaign';

/** The demo rule of the thin slice: a user who signs up gets a welcome message in the in-app inbox. */
export const welcomeCampaign: Campaign = {
  id: 'welcome',
  version: 1,
  name: 'Welcome new users',
  entry: { event: 'Signed Up' },
  steps: [
    {
      type: 'message',
      channel: 'in_app',
      title: 'Welcome aboard!',
      body: 'Thanks for signing up. Have a look around; we are here if you need us.',
    },
  ],
};

export const builtinCampaigns: readonly Campaign[] = [welcomeCampaign];

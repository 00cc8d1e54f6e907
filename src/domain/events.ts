/** What a user did, as the user workflow receives it: no user ID, only what triggers need. */
export interface TrackedEvent {
  /** Client-supplied or generated ID; duplicates of it are dropped. */
  messageId: string;
  /** Event name, e.g. `Signed Up`. */
  event: string;
  properties: Record<string, unknown>;
  /** When it happened (ISO 8601), as the client says. */
  timestamp: string;
  /** When Beckon accepted it (ISO 8601). */
  receivedAt: string;
}

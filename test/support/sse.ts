export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  /** Comment lines (`: ...`) of the block, e.g. heartbeats. */
  comments: string[];
}

/** A real HTTP client reading a server-sent event stream block by block; `headers` carry the app's credentials. */
export interface SseReader {
  status: number;
  headers: Headers;
  /** The next block that satisfies `match` (earlier blocks are kept in `seen`). */
  next(match?: (event: SseEvent) => boolean): Promise<SseEvent>;
  seen: SseEvent[];
  close(): void;
}

function parseBlock(block: string): SseEvent {
  const event: SseEvent = { comments: [] };
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) event.comments.push(line.slice(1).trim());
    else {
      const at = line.indexOf(':');
      const field = at < 0 ? line : line.slice(0, at);
      const value = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '');
      if (field === 'id' || field === 'event' || field === 'data') event[field] = value;
    }
  }
  return event;
}

export async function openStream(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const seen: SseEvent[] = [];
  let delivered = 0;
  return {
    status: response.status,
    headers: response.headers,
    seen,
    async next(match = () => true) {
      for (;;) {
        while (delivered < seen.length) {
          const candidate = seen[delivered++]!;
          if (match(candidate)) return candidate;
        }
        if (!reader) throw new Error(`no stream body (status ${response.status})`);
        const chunk = await reader.read();
        if (chunk.done) throw new Error('the stream ended');
        buffer += decoder.decode(chunk.value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          seen.push(parseBlock(buffer.slice(0, end)));
          buffer = buffer.slice(end + 2);
        }
      }
    },
    close: () => controller.abort(),
  };
}

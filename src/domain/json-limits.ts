/**
 * What Postgres and the JSON tooling around it cannot take in a JSON document from outside: text
 * holding NUL (text and jsonb refuse U+0000), and nesting so deep that JSON.stringify, Temporal's
 * payload converter or Postgres's jsonb parser run out of stack. Checked before anything is written.
 */

export interface JsonLimitProblem {
  /** Keys from the document's root to the offending value. */
  path: string[];
  kind: 'nul' | 'depth';
  reason: string;
}

/** The first value of `value` that breaks a limit, or undefined; iterative, so any depth is safe to walk. */
export function jsonLimitProblem(value: unknown, maxDepth: number): JsonLimitProblem | undefined {
  const stack: { node: unknown; path: string[] }[] = [{ node: value, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (typeof node === 'string') {
      if (node.includes('\u0000')) return { path, kind: 'nul', reason: 'must not contain the NUL character (\\u0000)' };
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    if (path.length >= maxDepth) return { path, kind: 'depth', reason: `nests objects or lists more than ${maxDepth} levels deep (at ${path.slice(0, 4).join('.')}...)` };
    for (const [key, child] of Object.entries(node)) {
      if (key.includes('\u0000')) return { path: [...path, key], kind: 'nul', reason: 'has a key with the NUL character (\\u0000)' };
      stack.push({ node: child, path: [...path, key] });
    }
  }
  return undefined;
}

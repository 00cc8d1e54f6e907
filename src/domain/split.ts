/** 32-bit FNV-1a: a stable, fast, dependency-free hash; the same input gives the same bucket on every worker. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A user's bucket in [0, 100) for one split step: stable per (user, campaign, step), independent across steps. */
export function splitBucket(pseudonym: string, campaignId: string, stepId: string): number {
  return (fnv1a(`${campaignId}\u0000${stepId}\u0000${pseudonym}`) % 10_000) / 100;
}

/** A bucket in [0, 100) of any key parts, stable everywhere; the parts are joined so "a"+"bc" differs from "ab"+"c". */
export function stableBucket(parts: readonly string[]): number {
  return (fnv1a(parts.join('\u0000')) % 10_000) / 100;
}

/** The variant whose cumulative share covers the user's bucket; shares are percentages adding up to 100. */
export function assignVariant<V extends { percent: number }>(variants: readonly V[], bucket: number): V {
  let upper = 0;
  for (const variant of variants) {
    upper += variant.percent;
    if (bucket < upper) return variant;
  }
  return variants[variants.length - 1]!;
}

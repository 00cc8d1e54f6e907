import fc from 'fast-check';
import { jsonLimitProblem } from './json-limits';

describe('jsonLimitProblem', () => {
  it('finds NUL in a value or a key, with its path', () => {
    expect(jsonLimitProblem({ a: [1, 'x\u0000y'] }, 32)).toEqual({ path: ['a', '1'], kind: 'nul', reason: 'must not contain the NUL character (\\u0000)' });
    expect(jsonLimitProblem({ a: { 'k\u0000': 1 } }, 32)).toEqual({ path: ['a', 'k\u0000'], kind: 'nul', reason: 'has a key with the NUL character (\\u0000)' });
  });

  it('finds nesting past the limit without recursing, however deep', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    expect(jsonLimitProblem(deep, 32)?.path).toHaveLength(32);
    expect(jsonLimitProblem({ a: { b: 1 } }, 2)).toBeUndefined();
    expect(jsonLimitProblem({ a: { b: {} } }, 2)?.reason).toMatch(/more than 2 levels deep \(at a\.b\.\.\.\)/);
  });

  it('passes any JSON without NUL and within the depth', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        const hasNul = JSON.stringify(value).includes('\\u0000');
        expect(jsonLimitProblem(value, 32) === undefined).toBe(!hasNul);
      }),
    );
  });
});

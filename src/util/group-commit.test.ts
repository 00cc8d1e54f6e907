import { groupCommit } from './group-commit';

describe('groupCommit', () => {
  it('writes an item at once when idle, and what arrives during a write together in the next one', async () => {
    const writes: number[][] = [];
    let release: () => void = () => {};
    const add = groupCommit<number>(async (items) => {
      writes.push(items);
      if (writes.length === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    const first = add(1);
    const later = [add(2), add(3), add(4)];
    expect(writes).toEqual([[1]]);
    release();
    await Promise.all([first, ...later]);
    expect(writes).toEqual([[1], [2, 3, 4]]);
    await add(5);
    expect(writes).toEqual([[1], [2, 3, 4], [5]]);
  });

  it('splits a long queue into batches of at most maxBatch', async () => {
    const writes: number[][] = [];
    const add = groupCommit<number>(async (items) => void writes.push(items), 2);
    await Promise.all([1, 2, 3, 4, 5].map(add));
    expect(writes).toEqual([[1], [2, 3], [4, 5]]);
  });

  it('rejects the callers of a failed write only, and keeps writing after it', async () => {
    let fail = true;
    let release: () => void = () => {};
    const add = groupCommit<string>(async (items) => {
      if (items.includes('first')) await new Promise<void>((resolve) => (release = resolve));
      if (fail && items.includes('bad')) throw new Error('postgres went away');
    });
    const first = add('first');
    const failed = [add('bad'), add('with-bad')];
    release();
    await first;
    await expect(failed[0]).rejects.toThrow('postgres went away');
    await expect(failed[1]).rejects.toThrow('postgres went away');
    fail = false;
    await expect(add('after')).resolves.toBeUndefined();
  });
});

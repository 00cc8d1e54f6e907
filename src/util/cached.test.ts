import { cachedFor } from './cached';

describe('cachedFor', () => {
  it('reads once per ttl, shares a read in flight, and does not remember a failure', async () => {
    let clock = 0;
    let reads = 0;
    let fail = false;
    const read = cachedFor(async () => {
      reads += 1;
      if (fail) throw new Error('down');
      return reads;
    }, 1000, () => clock);
    expect(await Promise.all([read(), read(), read()])).toEqual([1, 1, 1]);
    clock = 999;
    expect(await read()).toBe(1);
    clock = 1000;
    fail = true;
    await expect(read()).rejects.toThrow('down');
    fail = false;
    expect(await read()).toBe(3);
    expect(reads).toBe(3);
  });
});

import { runPeriodically } from './periodic';

describe('runPeriodically', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('skips a round while the previous one runs, reports failures, and waits for a round in flight on stop', async () => {
    let finish: () => void = () => undefined;
    let rounds = 0;
    const errors: string[] = [];
    const stop = runPeriodically(
      1000,
      () => {
        rounds += 1;
        if (rounds === 2) return Promise.reject(new Error('round 2 failed'));
        return new Promise<void>((done) => (finish = done));
      },
      (err) => errors.push(err.message),
    );
    await jest.advanceTimersByTimeAsync(3000);
    expect(rounds).toBe(1);
    finish();
    await jest.advanceTimersByTimeAsync(1000);
    expect(rounds).toBe(2);
    expect(errors).toEqual(['round 2 failed']);
    await jest.advanceTimersByTimeAsync(1000);
    expect(rounds).toBe(3);
    let stopped = false;
    const stopping = stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    finish();
    await stopping;
    await jest.advanceTimersByTimeAsync(5000);
    expect(rounds).toBe(3);
  });
});

import { AdmissionTimeout, createAdmissionGate } from './admission-gate';

/** A call the test ends when it likes. */
function held() {
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { work: () => done, finish };
}

describe('createAdmissionGate', () => {
  afterEach(() => jest.useRealTimers());

  it('runs at most `limit` calls at once, and the waiting ones in arrival order', async () => {
    const gate = createAdmissionGate({ limit: 2, maxWaitMs: 60_000 });
    const started: string[] = [];
    const calls = new Map(['a', 'b', 'c', 'd'].map((name) => [name, held()]));
    const runs = [...calls].map(([name, call]) => gate.run(() => (started.push(name), call.work())));
    await Promise.resolve();
    expect(started).toEqual(['a', 'b']);
    expect([gate.inFlight, gate.waiting]).toEqual([2, 2]);

    calls.get('b')!.finish();
    await runs[1];
    await Promise.resolve();
    expect(started).toEqual(['a', 'b', 'c']);
    for (const call of calls.values()) call.finish();
    await Promise.all(runs);
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    expect([gate.inFlight, gate.waiting]).toEqual([0, 0]);
  });

  it('tells a caller that waited past maxWaitMs to come back, without running its work, and frees its place', async () => {
    jest.useFakeTimers();
    const gate = createAdmissionGate({ limit: 1, maxWaitMs: 3_000 });
    const first = held();
    const running = gate.run(first.work);
    const late = jest.fn(async () => 'late');
    const refused = gate.run(late);
    jest.advanceTimersByTime(3_000);
    await expect(refused).rejects.toBeInstanceOf(AdmissionTimeout);
    expect(late).not.toHaveBeenCalled();
    expect(gate.waiting).toBe(0);

    first.finish();
    await running;
    await expect(gate.run(async () => 'next')).resolves.toBe('next');
    expect(gate.inFlight).toBe(0);
  });

  it('frees the slot of a call that fails', async () => {
    const gate = createAdmissionGate({ limit: 1, maxWaitMs: 60_000 });
    await expect(gate.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(gate.run(async () => 'after')).resolves.toBe('after');
  });
});

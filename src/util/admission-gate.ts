/** A call that found every slot taken for longer than the gate lets it wait; nothing of it ran. */
export class AdmissionTimeout extends Error {
  constructor(readonly waitedMs: number) {
    super(`no free slot within ${waitedMs} ms`);
    this.name = 'AdmissionTimeout';
  }
}

export interface AdmissionGate {
  /** Runs `work` once one of `limit` slots is free, in arrival order; rejects with AdmissionTimeout past `maxWaitMs`. */
  run<T>(work: () => Promise<T>): Promise<T>;
  readonly inFlight: number;
  readonly waiting: number;
}

/**
 * At most `limit` calls at once; the others wait in order, each at most `maxWaitMs`, so that a slow
 * server sees a bounded number of calls and a caller past the wait is told to come back (backpressure)
 * rather than piling more onto the server.
 */
export function createAdmissionGate(options: { limit: number; maxWaitMs: number }): AdmissionGate {
  let inFlight = 0;
  const queue: { admit: () => void; timer: NodeJS.Timeout }[] = [];

  const release = () => {
    const next = queue.shift();
    if (!next) {
      inFlight--;
      return;
    }
    // The slot passes straight to the next caller: inFlight stays as it is.
    clearTimeout(next.timer);
    next.admit();
  };

  const acquire = (): Promise<void> => {
    if (inFlight < options.limit) {
      inFlight++;
      return Promise.resolve();
    }
    return new Promise<void>((admit, reject) => {
      const entry = {
        admit,
        timer: setTimeout(() => {
          queue.splice(queue.indexOf(entry), 1);
          reject(new AdmissionTimeout(options.maxWaitMs));
        }, options.maxWaitMs),
      };
      queue.push(entry);
    });
  };

  return {
    async run<T>(work: () => Promise<T>): Promise<T> {
      await acquire();
      try {
        return await work();
      } finally {
        release();
      }
    },
    get inFlight() {
      return inFlight;
    },
    get waiting() {
      return queue.length;
    },
  };
}

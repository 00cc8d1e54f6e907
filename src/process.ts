import { ConfigError } from './config';

/** Runs an entry point; a configuration error prints its message alone and exits 2, anything else exits 1. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      if (err instanceof ConfigError) {
        console.error(err.message);
        process.exit(2);
      }
      console.error(err);
      process.exit(1);
    },
  );
}

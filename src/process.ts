import { ConfigError } from './config';
import { CampaignDefinitionError } from './domain/campaign/campaign-validation';

/** Errors whose message is the whole story for the person starting Beckon: no stack trace. */
function isUserError(err: unknown): boolean {
  if (err instanceof ConfigError || err instanceof CampaignDefinitionError) return true;
  return err instanceof AggregateError && err.errors.every((inner) => inner instanceof CampaignDefinitionError);
}

/** Runs an entry point; a configuration or campaign error prints its message alone and exits 2, anything else exits 1. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      if (isUserError(err)) {
        console.error((err as Error).message);
        process.exit(2);
      }
      console.error(err);
      process.exit(1);
    },
  );
}

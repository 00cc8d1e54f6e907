import { DefaultLogger, Runtime } from '@temporalio/worker';

// Workers in tests log only warnings and errors; their info lines would bury jest's report.
Runtime.install({ logger: new DefaultLogger('WARN') });

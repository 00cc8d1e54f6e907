/**
 * `npm run test:cluster`: the tests of the production topology (test/cluster/), which start their own
 * PostgreSQL databases, temporal-server, workers and API replicas, so they run apart from `npm test`.
 */
const base = require('./jest.config.js');
const integration = base.projects.find((project) => project.displayName === 'integration');

/** @type {import('jest').Config} */
module.exports = {
  // A cluster comes up in minutes on a shared machine; each wait inside a test has its own deadline.
  testTimeout: 600_000,
  projects: [
    {
      displayName: 'cluster',
      testEnvironment: 'node',
      transform: integration.transform,
      transformIgnorePatterns: integration.transformIgnorePatterns,
      moduleNameMapper: integration.moduleNameMapper,
      testMatch: ['<rootDir>/test/cluster/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/support/quiet-sdk.ts'],
      // Without DATABASE_URL, an embedded PostgreSQL for the cluster's databases.
      globalSetup: '<rootDir>/test/support/cluster-global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};

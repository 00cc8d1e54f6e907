/** Unit tests sit beside the code; integration tests (real Postgres, real Temporal) live under test/. */
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  // ESM-only packages that Fastify plugins require; jest on Node 20 cannot load ESM from CommonJS.
  '/node_modules/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', esModuleInterop: true }, diagnostics: false }],
};
/** Packages published only as ES modules, compiled to CommonJS for jest. */
const transformIgnorePatterns = ['/node_modules/(?!content-disposition/)'];
/** Lets `./x.js` specifiers (Node16 style) resolve to the `.ts` source. */
const moduleNameMapper = { '^(\\.{1,2}/.*)\\.js$': '$1' };

/** @type {import('jest').Config} */
module.exports = {
  // Integration tests wait on real servers; a wait is bounded by the test's own deadlines, not by speed.
  testTimeout: 120_000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/scripts/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      // The cluster's tests start their own servers and run on their own (`npm run test:cluster`).
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/cluster/'],
      // Runs only when an integration test is selected: obtains Temporal, starts Postgres and a dev server once.
      setupFiles: ['<rootDir>/test/support/quiet-sdk.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};

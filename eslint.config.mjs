import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

const workflowsByFunction = [
  {
    selector: "CallExpression[callee.property.name=/^(start|execute|signalWithStart)$/][arguments.0.type='Literal']",
    message: 'Start a workflow by its function (client.workflow.start(userWorkflow, ...)), not by its name in a string.',
  },
  {
    selector: "CallExpression[callee.name=/^(startChild|executeChild)$/][arguments.0.type='Literal']",
    message: 'Start a child workflow by its function (startChild(journeyWorkflow, ...)), not by its name in a string.',
  },
];
const workflowTypeInQuery = {
  selector: "TemplateElement[value.raw=/WorkflowType (=|IN) \\(?'[A-Za-z]/], Literal[value=/WorkflowType (=|IN) \\(?'[A-Za-z]/]",
  message: "Name the workflow type in a query through its function: `WorkflowType = '${journeyWorkflow.name}'`.",
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', '.data/**', 'coverage/**', '*.config.js', '*.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Workflows are referred to by their functions, so a rename fails to compile (STYLE.md, Workflows).
    rules: { 'no-restricted-syntax': ['error', ...workflowsByFunction] },
  },
  {
    // A visibility query names a workflow type through its function; tests may spell out the query they expect.
    files: ['src/**/*.ts', 'scripts/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-syntax': ['error', ...workflowsByFunction, workflowTypeInQuery] },
  },
  {
    // Tests read JSON bodies of real HTTP answers, which are untyped by nature.
    files: ['test/**/*.ts', '**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  {
    // The console's plain browser modules, served as they are: no type information, the browser's globals.
    files: ['src/console/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'sessionStorage', 'fetch', 'URLSearchParams', 'Intl', 'Node', 'requestAnimationFrame', 'console'].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node built-ins.
    files: ['src/workflows/**/*.ts'],
    ignores: ['src/workflows/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: do I/O in an activity.' })),
          patterns: [
            { group: ['pg', 'nodemailer', 'firebase-admin', 'fastify', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'], message: 'Not allowed in workflow code.' },
            { group: ['../activities', '../activities/*'], message: 'Import activity types only (import type).', allowTypeImports: true },
          ],
        },
      ],
    },
  },
);

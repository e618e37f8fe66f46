// Lint: typescript-eslint's recommended rules, the few type-aware rules that
// catch real bugs here (a Promise nobody awaits: storage calls are becoming
// async), no import cycles, and the layers of docs/architecture.md ("Folders
// and their imports") as rules instead of a table that can fall behind.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';
import globals from 'globals';

// Training code: everything a worker runs. It never reaches the database, the
// pool that dispatches it, the scheduler or the screen.
const TRAINING = ['training', 'engine', 'models', 'worker', 'data', 'metrics'];

const zone = (target, from, message) => ({
  target: [target].flat().map((d) => `./src/${d}`),
  from: [from].flat().map((d) => `./src/${d}`),
  message,
});

const LAYERS = [
  ...TRAINING.map((d) =>
    zone(
      d,
      ['pool', 'scheduler', 'storage', 'cli', 'tui', 'report'],
      'training code does not reach the pool, the database or the screen (docs/architecture.md)',
    ),
  ),
  zone(
    'storage',
    ['tui', 'report', 'cli', 'scheduler', 'pool', 'worker'],
    'storage is below the scheduler, the report and the screen',
  ),
  zone(
    'report',
    ['worker', 'pool', 'scheduler', 'training', 'engine', 'models', 'cli', 'tui'],
    'the report is pure: stored trials in, tables out',
  ),
  // The worker file is loaded in every worker thread: training code only.
  {
    target: './src/worker',
    from: './src',
    except: [
      './worker',
      './training',
      './engine',
      './models',
      './data',
      './metrics',
      './study',
      './grid',
      './errors',
      './fs',
      './json.ts',
      './seed.ts',
    ],
    message: 'the worker imports training code only',
  },
  // The bottom of the stack imports nothing above it.
  zone(
    ['errors', 'json.ts', 'seed.ts', 'metrics', 'fs'],
    [
      'study',
      'grid',
      'trial',
      'storage',
      'scheduler',
      'pool',
      'report',
      'tui',
      'cli',
      'training',
      'worker',
      'engine',
      'models',
      'data',
    ],
    'a leaf module imports nothing of ours above it',
  ),
  zone('study', ['grid'], 'the grid is expanded from the study, not the other way round'),
  zone(
    ['study', 'grid', 'trial'],
    ['storage', 'scheduler', 'pool', 'report', 'tui', 'cli', 'training', 'worker', 'engine', 'models', 'data'],
    'study, grid and trial are the vocabulary everything else uses: they import nothing above them',
  ),
];

export default tseslint.config(
  {
    ignores: ['dist/', 'build/', 'node_modules/', 'src/engine/vendor/', 'db/', 'reports/', '.cache/', 'data/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,mts,cts,js,mjs,cjs}'],
    languageOptions: {
      globals: { ...globals.node },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': importX.flatConfigs.typescript.settings['import-x/extensions'],
      'import-x/parsers': importX.flatConfigs.typescript.settings['import-x/parsers'],
      // Our imports name the emitted .js; the source is the .ts/.tsx beside it.
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json', '.node'],
          extensionAlias: { '.js': ['.ts', '.tsx', '.js'], '.mjs': ['.mts', '.mjs'] },
        }),
      ],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      'import-x/no-restricted-paths': ['error', { zones: LAYERS }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // import() in a type is how we name the types of optional modules loaded on demand (sharp, tfjs-node).
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
    },
  },
  // Terminal tests match escape sequences (\x1b[...m): control characters are what they look for.
  {
    files: ['test/**'],
    rules: { 'no-control-regex': 'off' },
  },
  // Type-aware rules: only the ones that find bugs, since they cost a full
  // type-check of the project on every run.
  {
    files: ['**/*.{ts,tsx}'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test runs the tests that test() and describe() return; awaiting them is not needed.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
);

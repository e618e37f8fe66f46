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
    zone(d, ['pool', 'scheduler', 'storage', 'cli', 'tui', 'report'], 'training code does not reach the pool, the database or the screen (docs/architecture.md)'),
  ),
  zone('storage', ['tui', 'report', 'cli', 'scheduler', 'pool', 'worker'], 'storage is below the scheduler, the report and the screen'),
  zone('report', ['worker', 'pool', 'scheduler', 'training', 'engine', 'models', 'cli', 'tui'], 'the report is pure: stored trials in, tables out'),
  // The worker file is loaded in every worker thread: training code only.
  {
    target: './src/worker',
    from: './src',
    except: ['./worker', './training', './engine', './models', './data', './metrics', './study', './grid', './errors', './fs', './json.ts'],
    message: 'the worker imports training code only',
  },
  // The bottom of the stack imports nothing above it.
  zone(['errors', 'json.ts', 'metrics', 'fs'], ['study', 'grid', 'trial', 'storage', 'scheduler', 'pool', 'report', 'tui', 'cli', 'training', 'worker', 'engine', 'models', 'data']),
  zone(['study', 'grid', 'trial'], ['storage', 'scheduler', 'pool', 'report', 'tui', 'cli', 'training', 'worker', 'engine', 'models', 'data']),
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
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver': undefined,
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
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  // Type-aware rules: only the ones that find bugs, since they cost a full
  // type-check of the project on every run.
  {
    files: ['**/*.{ts,tsx}'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
);

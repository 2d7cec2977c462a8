// Layers that must stay generic: each may import only from inside its own folder (and packages).
const selfContained = ['celery', 'executor'];

module.exports = {
  root: true,
  parser: '@typescript-eslint/parser',
  plugins: ['@typescript-eslint', 'import', 'nbgrid'],
  extends: ['eslint:recommended', 'plugin:@typescript-eslint/recommended'],
  settings: {
    'import/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
    'import/resolver': { node: { extensions: ['.ts', '.tsx', '.js'] } },
    // Packages are never restricted paths of ours: do not parse node_modules (keeps lint fast).
    'import/ignore': ['node_modules']
  },
  env: { node: true, es2022: true },
  parserOptions: { ecmaVersion: 2022, sourceType: 'module' },
  rules: {
    '@typescript-eslint/no-explicit-any': 'error',
    '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    '@typescript-eslint/no-var-requires': 'off',
    '@typescript-eslint/no-require-imports': 'off',
    'no-constant-condition': ['error', { checkLoops: false }],
    eqeqeq: ['error', 'smart'],
    // No import cycles among our files, type-only imports included: import/no-cycle skips those
    // by design, so the rule is nbgrid's own (scripts/eslint-plugin-nbgrid, one graph per run).
    'nbgrid/no-import-cycle': ['error', { roots: ['worker/src', 'src'] }],
    'import/no-restricted-paths': [
      'error',
      {
        zones: selfContained.map((layer) => ({
          target: `./worker/src/${layer}`,
          from: './worker/src',
          except: [`./${layer}`],
          message: `worker/src/${layer}/ imports nothing outside itself (issue 13): pass what it needs in, or move the code`
        }))
      }
    ]
  },
  overrides: [
    {
      // The JupyterLab extension talks to users through Notification and dialogs, never the console.
      files: ['src/**/*.ts', 'src/**/*.tsx'],
      env: { browser: true, node: false },
      // `namespace CommandIDs` is JupyterLab's own convention (extension-examples).
      // The API types come from the worker's schemas, type-only: the bundle must hold no worker code.
      rules: {
        'no-console': 'error',
        'no-alert': 'error',
        '@typescript-eslint/no-namespace': 'off',
        '@typescript-eslint/no-restricted-imports': [
          'error',
          { patterns: [{ group: ['**/worker/**'], allowTypeImports: true, message: 'import worker types with `import type`' }] }
        ]
      }
    },
    { files: ['test/**/*.ts', 'test/**/*.tsx'], env: { jest: true } }
  ],
  ignorePatterns: ['lib/', 'worker/dist/', 'nbgrid/labextension/', 'node_modules/', '*.js']
};

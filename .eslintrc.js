module.exports = {
  root: true,
  parser: '@typescript-eslint/parser',
  plugins: ['@typescript-eslint'],
  extends: ['eslint:recommended', 'plugin:@typescript-eslint/recommended'],
  env: { node: true, es2022: true },
  parserOptions: { ecmaVersion: 2022, sourceType: 'module' },
  rules: {
    '@typescript-eslint/no-explicit-any': 'error',
    '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    '@typescript-eslint/no-var-requires': 'off',
    '@typescript-eslint/no-require-imports': 'off',
    'no-constant-condition': ['error', { checkLoops: false }],
    eqeqeq: ['error', 'smart']
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

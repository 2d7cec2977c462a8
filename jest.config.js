// One jest config, three projects: the JupyterLab extension (jsdom), worker unit tests and
// worker integration tests (real Redis, MongoDB/FerretDB and Kernel Gateway, started per file).
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'classic' } } } }];
// JupyterLab packages ship ES modules: let swc transform them for jest.
const esm = ['cookie', '@jupyterlab', '@jupyter', 'exenv-es6', '@lumino', 'lib0', 'y-protocols', 'yjs', '@codemirror', '@lezer', 'nanoid', '@microsoft'];
const transformIgnorePatterns = [`/node_modules/(?!(${esm.join('|')})/)`];
const common = { transform: { '^.+\\.[jt]sx?$': swc }, transformIgnorePatterns };

module.exports = {
  modulePathIgnorePatterns: ['<rootDir>/.venv/', '<rootDir>/nbgrid/labextension/'],
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'extension', testEnvironment: 'jsdom', testMatch: ['<rootDir>/test/extension/**/*.test.ts?(x)'],
      moduleNameMapper: { '\\.(css|svg)$': '<rootDir>/test/extension/style-mock.js' },
      setupFiles: ['<rootDir>/test/extension/jsdom-polyfills.ts'] },
    { ...common, displayName: 'worker', testEnvironment: 'node', testMatch: ['<rootDir>/test/worker/unit/**/*.test.ts'] },
    { ...common, displayName: 'integration', testEnvironment: 'node', testMatch: ['<rootDir>/test/worker/integration/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/worker/integration/support/quiet-kernel-sockets.ts'] }
  ]
};

// Lets a plain `node -r ./ts-hook.js script.ts` child process load TypeScript sources through
// @swc/core (already a dev dependency), so tests can spawn real worker processes and kill them.
const fs = require('fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = function (module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = transformSync(source, {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
    sourceMaps: 'inline'
  });
  module._compile(code, filename);
};

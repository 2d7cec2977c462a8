#!/usr/bin/env node
// The nbgrid command line; the TypeScript sources are compiled to dist/ by `npm run build -w worker`.
require('../dist/cli/index.js').main();

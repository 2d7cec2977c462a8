/**
 * nbgrid/no-import-cycle (scripts/eslint-plugin-nbgrid): a cycle through a type-only import is
 * reported, with the whole cycle, on the import that closes it; an acyclic graph passes.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RuleTester } from 'eslint';

const rule = require('../../../../scripts/eslint-plugin-nbgrid/no-import-cycle');

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-cycle-'));
const files: Record<string, string> = {
  'a.ts': "import type { B } from './b';\nexport type A = { b?: B };\n",
  'b.ts': "import { c } from './sub';\nexport type B = number;\nexport const b = c;\n",
  'sub/index.ts': "export { c } from './c';\n",
  'sub/c.ts': "import type { A } from '../a';\nexport const c = 1;\nexport type C = A;\n",
  'leaf.ts': "import { b } from './b';\nimport * as fs from 'fs';\nexport const leaf = [b, fs];\n"
};
for (const [name, text] of Object.entries(files)) {
  fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
  fs.writeFileSync(path.join(root, name), text);
}
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const tester = new RuleTester({ parser: require.resolve('@typescript-eslint/parser'), parserOptions: { ecmaVersion: 2022, sourceType: 'module' } } as never);
const at = (name: string) => ({ filename: path.join(root, name), code: files[name], options: [{ roots: [root] }] });
const rel = (name: string) => path.relative(process.cwd(), path.join(root, name));

tester.run('no-import-cycle', rule, {
  valid: [at('leaf.ts')],
  invalid: [
    {
      ...at('a.ts'),
      errors: [{ message: `import cycle: ${[rel('a.ts'), rel('b.ts'), rel('sub/index.ts'), rel('sub/c.ts'), rel('a.ts')].join(' -> ')}` }]
    },
    { ...at('sub/index.ts'), errors: 1 }
  ]
});

// tsc emits only JavaScript: copy the Lua scripts (src/**/*.lua) to the same place under dist/,
// where the compiled modules read them next to themselves (see src/celery/scripts.ts).
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
function copy(dir) {
  for (const entry of fs.readdirSync(path.join(root, 'src', dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) copy(rel);
    else if (entry.name.endsWith('.lua')) {
      fs.mkdirSync(path.join(root, 'dist', dir), { recursive: true });
      fs.copyFileSync(path.join(root, 'src', rel), path.join(root, 'dist', rel));
    }
  }
}
copy('');

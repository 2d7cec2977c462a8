'use strict';
/**
 * Forbids import cycles among the TypeScript files under the given roots, type-only imports
 * included. eslint-plugin-import's `no-cycle` skips `import type` by design, but a type-only
 * cycle still ties two layers together (issue 13 counts them), so this rule reads every import,
 * export-from and require of each file with TypeScript's pre-processor, finds the strongly
 * connected components of the graph once per change of the files, and reports each import that
 * closes a cycle with the whole cycle in the message.
 */
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

/** @type {Map<string, { signature: string, graph: Map<string, string[]>, component: Map<string, number> }>} */
const cache = new Map();

function walk(dir, out) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

function isFile(file) {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The file a relative specifier names, or null (packages, JSON, missing files). */
function resolve(fromFile, specifier) {
  if (!specifier.startsWith('.')) return null;
  const base = path.resolve(path.dirname(fromFile), specifier);
  const candidates = [base + '.ts', base + '.tsx', path.join(base, 'index.ts'), path.join(base, 'index.tsx'), base.replace(/\.js$/, '.ts')];
  if (/\.tsx?$/.test(base)) candidates.unshift(base);
  return candidates.find(isFile) ?? null;
}

function importsOf(file) {
  const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** Tarjan's strongly connected components; a file in a cycle gets the number of its component. */
function components(graph) {
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const component = new Map();
  let counter = 0;
  let next = 0;
  const visit = (v) => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v) === index.get(v)) {
      const members = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        members.push(w);
      } while (w !== v);
      const cyclic = members.length > 1 || (graph.get(v) ?? []).includes(v);
      if (cyclic) {
        for (const m of members) component.set(m, next);
        next += 1;
      }
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return component;
}

function analysis(roots) {
  const files = roots.flatMap((root) => walk(root, []));
  const signature = files.map((f) => `${f}:${fs.statSync(f).mtimeMs}`).join('|');
  const key = roots.join('|');
  const cached = cache.get(key);
  if (cached && cached.signature === signature) return cached;
  const inRoots = new Set(files);
  const graph = new Map();
  for (const file of files) {
    graph.set(
      file,
      importsOf(file)
        .map((s) => resolve(file, s))
        .filter((target) => target !== null && inRoots.has(target))
    );
  }
  const result = { signature, graph, component: components(graph) };
  cache.set(key, result);
  return result;
}

/** The shortest path from `from` to `to` inside one component (breadth first). */
function shortestPath(graph, component, from, to) {
  const previous = new Map([[from, null]]);
  const queue = [from];
  while (queue.length > 0) {
    const v = queue.shift();
    if (v === to) break;
    for (const w of graph.get(v) ?? []) {
      if (!previous.has(w) && component.get(w) === component.get(from)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  const pathOut = [];
  for (let v = to; v !== null && v !== undefined; v = previous.get(v)) pathOut.unshift(v);
  return pathOut;
}

module.exports = {
  meta: {
    type: 'problem',
    docs: { description: 'forbid import cycles among the files under `roots`, type-only imports included' },
    schema: [
      {
        type: 'object',
        properties: { roots: { type: 'array', items: { type: 'string' }, minItems: 1 } },
        required: ['roots'],
        additionalProperties: false
      }
    ],
    messages: { cycle: 'import cycle: {{cycle}}' }
  },
  create(context) {
    const cwd = context.cwd ?? context.getCwd();
    const roots = context.options[0].roots.map((r) => path.resolve(cwd, r));
    const file = context.filename ?? context.getFilename();
    if (!roots.some((root) => file.startsWith(root + path.sep))) return {};
    const { graph, component } = analysis(roots);
    if (!component.has(file)) return {};
    const check = (node) => {
      if (!node.source || typeof node.source.value !== 'string') return;
      const target = resolve(file, node.source.value);
      if (!target || component.get(target) !== component.get(file)) return;
      const cycle = [file, ...shortestPath(graph, component, target, file)].map((f) => path.relative(cwd, f)).join(' -> ');
      context.report({ node: node.source, messageId: 'cycle', data: { cycle } });
    };
    return { ImportDeclaration: check, ExportAllDeclaration: check, ExportNamedDeclaration: check };
  }
};

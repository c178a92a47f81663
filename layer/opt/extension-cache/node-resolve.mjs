// Loaded by extension-cache-wrapper through NODE_OPTIONS=--import: lets ES modules resolve a bare specifier
// ("import pkg from 'pkg'") from the bundles' node_modules folders, which NODE_PATH gives CommonJS only.
// The folders come in EXTENSION_CACHE_NODE_MODULES (':'-separated, in the wrapper's order); see docs/attach.md.
// How the hook was registered ('registerHooks', 'register' or 'none') is left in globalThis[Symbol.for(...)].
import fs from 'node:fs';
import * as nodeModule from 'node:module';
import path from 'node:path';
import { resolveSync } from './node-resolve-hooks.mjs';

const folders = (process.env.EXTENSION_CACHE_NODE_MODULES ?? '').split(':').filter((folder) => folder.startsWith('/'));
let registered = 'none';

// True unless _HANDLER names a CommonJS file in LAMBDA_TASK_ROOT (.cjs, or .js without "type": "module").
function handlerMayBeEsModule() {
  const handler = process.env._HANDLER ?? '';
  const root = process.env.LAMBDA_TASK_ROOT;
  if (!root || !handler.includes('.')) return true;
  const base = path.join(root, handler.slice(0, handler.lastIndexOf('.')));
  if (fs.existsSync(`${base}.mjs`)) return true;
  if (fs.existsSync(`${base}.cjs`)) return false;
  if (!fs.existsSync(`${base}.js`)) return true;
  for (let folder = path.dirname(base); ; folder = path.dirname(folder)) {
    const manifest = path.join(folder, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        return JSON.parse(fs.readFileSync(manifest, 'utf8')).type === 'module';
      } catch {
        return true;
      }
    }
    if (folder === path.dirname(folder)) return false;
  }
}

if (folders.length > 0) {
  if (typeof nodeModule.registerHooks === 'function') {
    // Node.js 22.15+ and 23.5+: synchronous hooks on this thread, at no start-up cost worth measuring.
    nodeModule.registerHooks({ resolve: resolveSync(folders) });
    registered = 'registerHooks';
  } else if (typeof nodeModule.register === 'function' && handlerMayBeEsModule()) {
    // Node.js 20.6+: hooks on a thread of their own, which costs tens of milliseconds of CPU at every start, so only
    // for a handler that is (or may be) an ES module; a CommonJS handler resolves through NODE_PATH.
    nodeModule.register('./node-resolve-hooks.mjs', import.meta.url, { data: { folders } });
    registered = 'register';
  }
}

globalThis[Symbol.for('extension-cache.node-resolve')] = registered;

// Loaded by extension-cache-wrapper through NODE_OPTIONS=--import: lets ES modules resolve a bare specifier
// ("import pkg from 'pkg'") from the bundles' node_modules folders, which NODE_PATH gives CommonJS only.
// The folders come in EXTENSION_CACHE_NODE_MODULES (':'-separated, in the wrapper's order); see docs/attach.md.
import * as nodeModule from 'node:module';
import { resolveSync } from './node-resolve-hooks.mjs';

const folders = (process.env.EXTENSION_CACHE_NODE_MODULES ?? '').split(':').filter((folder) => folder.startsWith('/'));

if (folders.length > 0) {
  if (typeof nodeModule.registerHooks === 'function') {
    // Node.js 22.15+ and 23.5+: synchronous hooks on this thread, at no start-up cost worth measuring.
    nodeModule.registerHooks({ resolve: resolveSync(folders) });
  } else if (typeof nodeModule.register === 'function') {
    // Node.js 20.6+: hooks on a thread of their own, which costs tens of milliseconds of CPU at start.
    nodeModule.register('./node-resolve-hooks.mjs', import.meta.url, { data: { folders } });
  }
}

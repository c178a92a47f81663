// Loaded by extension-cache-wrapper through NODE_OPTIONS=--import: lets ES modules resolve a bare specifier
// ("import pkg from 'pkg'") from the bundles' node_modules folders, which NODE_PATH gives CommonJS only.
// The folders come in EXTENSION_CACHE_NODE_MODULES (':'-separated, in the wrapper's order); see docs/attach.md.
import * as nodeModule from 'node:module';

const folders = (process.env.EXTENSION_CACHE_NODE_MODULES ?? '').split(':').filter((folder) => folder.startsWith('/'));

// module.register exists from Node.js 20.6 (18.19); without it ES modules simply keep Node's own resolution.
if (folders.length > 0 && typeof nodeModule.register === 'function') {
  nodeModule.register('./node-resolve-hooks.mjs', import.meta.url, { data: { folders } });
}

// A minimal custom runtime for Node 20: waits for a bundle prepared by the extension-cache layer, requires lodash
// from it, and answers each invoke. No dependencies: the point is that node_modules comes from the bundle.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const bundleName = process.env.SAMPLE_BUNDLE || 'node-deps';
const timeoutMs = Number(process.env.SAMPLE_BUNDLE_TIMEOUT_MS || 8000);
const [apiHost, apiPort] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');

// Same rule as the extension: EXTENSION_CACHE_ROOT, else $TMPDIR/extension-cache, else /tmp/extension-cache.
const root = process.env.EXTENSION_CACHE_ROOT || path.join(process.env.TMPDIR || '/tmp', 'extension-cache');

// The readiness protocol: <root>/.status/<name>.json appears once per INIT with status ready|failed.
async function waitForBundle(name) {
  const statusPath = path.join(root, '.status', `${name}.json`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (fs.existsSync(statusPath)) {
      const status = JSON.parse(fs.readFileSync(statusPath, 'utf8'));
      if (status.status === 'ready' || status.status === 'stale') return status.path || path.join(root, name);
      throw new Error(`Bundle '${name}' failed: ${status.errorType}: ${status.errorMessage} (${statusPath})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Bundle '${name}' not ready after ${timeoutMs} ms: no ${statusPath} (is the layer attached, ` +
    `is '${name}' in EXTENSION_CACHE_BUNDLES, is EXTENSION_CACHE_MODE=overlap given enough time?)`);
}

// Refresh: <root>/<name> is swapped atomically to each new version. Resolve the link once, then read everything
// from the folder it names, so one read never mixes two versions; a changed folder means a new version. Data can be
// re-read then; code already require()d (lodash here) stays the version loaded at init until the next cold start.
function currentVersion(name) {
  const folder = fs.realpathSync(path.join(root, name));
  const manifest = JSON.parse(fs.readFileSync(path.join(folder, '.extension-cache-manifest.json'), 'utf8'));
  return { folder, version: manifest.version, sha256: manifest.sha256 };
}

function call(method, urlPath, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: apiHost, port: apiPort, method, path: `/2018-06-01${urlPath}`, headers }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('error', reject);
    if (body !== undefined) request.write(body);
    request.end();
  });
}

function errorBody(error, errorType) {
  return JSON.stringify({ errorMessage: error.message, errorType, stackTrace: (error.stack || '').split('\n') });
}

async function main() {
  let lodash, lodashPath, bundlePath;
  try {
    bundlePath = await waitForBundle(bundleName);
    lodashPath = require.resolve(path.join(bundlePath, 'node_modules', 'lodash'));
    lodash = require(lodashPath);
  } catch (error) {
    console.error(`[node-sample] init failed: ${error.message}`);
    await call('POST', '/runtime/init/error', errorBody(error, 'Runtime.BundleNotReady'), { 'Lambda-Runtime-Function-Error-Type': 'Runtime.BundleNotReady' });
    process.exit(1);
  }

  let invocationCount = 0;
  let seen = currentVersion(bundleName);
  let versionChanges = 0;
  for (;;) {
    const next = await call('GET', '/runtime/invocation/next');
    const requestId = next.headers['lambda-runtime-aws-request-id'];
    try {
      invocationCount += 1;
      const now = currentVersion(bundleName);
      if (now.folder !== seen.folder) { seen = now; versionChanges += 1; } // reload data from now.folder here
      const answer = {
        bundleVersion: seen.version,
        bundleVersionPath: seen.folder,
        versionChanges,
        lodashVersion: lodash.VERSION,
        lodashPath: fs.realpathSync(lodashPath),
        bundlePath,
        chunked: lodash.chunk([1, 2, 3, 4], 2),
        invocationCount,
        pid: process.pid,
      };
      await call('POST', `/runtime/invocation/${requestId}/response`, JSON.stringify(answer));
    } catch (error) {
      await call('POST', `/runtime/invocation/${requestId}/error`, errorBody(error, 'Runtime.HandlerError'), { 'Lambda-Runtime-Function-Error-Type': 'Runtime.HandlerError' });
    }
  }
}

process.on('SIGTERM', () => process.exit(0));
main();

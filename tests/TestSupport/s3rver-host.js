// Starts s3rver 3.7.1 (tests/node_modules) for the tests and benchmarks, as its CLI would, with one fix:
// s3rver reads a suffix range "Range: bytes=-N" (the last N bytes, which real S3 honours and the extension's
// probe uses) as "bytes=0-N". The middleware below rewrites it to the equivalent explicit range before s3rver
// sees it; everything else is s3rver unchanged. With "as-s3rver" the fix is left out, so tests can also cover
// servers that answer a suffix range with the head of the object.
// Usage: node s3rver-host.js <directory> <bucket> [as-s3rver]   → prints "S3rver listening on 127.0.0.1:<port>"
'use strict';
const fs = require('node:fs/promises');
const S3rver = require('s3rver');

const [directory, bucket, suffixRanges] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory,
  configureBuckets: [{ name: bucket, configs: [] }],
});

async function suffixRange(ctx, next) {
  const match = /^bytes=-(\d+)$/.exec(ctx.get('range') || '');
  const [, bucketName, ...key] = ctx.path.split('/');
  if (match && ctx.method === 'GET' && bucketName && key.length > 0) {
    try {
      const objectPath = ctx.store.getResourcePath(bucketName, decodeURIComponent(key.join('/')), 'object');
      const { size } = await fs.stat(objectPath);
      ctx.request.headers.range = `bytes=${Math.max(0, size - Number(match[1]))}-${Math.max(0, size - 1)}`;
    } catch {
      // No such object: let s3rver answer NoSuchKey.
    }
  }
  await next();
}

if (suffixRanges !== 'as-s3rver') {
  // After the request logger (index 0), before s3rver's own handling.
  server.middleware.splice(1, 0, suffixRange);
}

server.run().then(
  ({ address, port }) => console.log(`S3rver listening on ${address}:${port}`),
  (error) => {
    console.error(error);
    process.exit(1);
  });

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close().finally(() => process.exit(0)));
}

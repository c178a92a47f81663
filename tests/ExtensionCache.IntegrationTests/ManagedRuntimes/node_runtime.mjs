// Stands in for Lambda's managed Node.js runtime in the emulator (Amazon's runtime interface client is not available
// here): the Runtime API over node:http, and the handler named by _HANDLER (file.function) loaded from
// LAMBDA_TASK_ROOT as the managed runtime loads it: file.mjs by import(), file.js or file.cjs by require().
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');

function call(method, urlPath, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const request = http.request({ host, port, method, path: `/2018-06-01/runtime${urlPath}`, headers }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks).toString() }));
    });
    request.on('error', reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const errorBody = (error) => ({ errorMessage: String(error?.message ?? error), errorType: error?.name ?? 'Error', stackTrace: String(error?.stack ?? '').split('\n') });

let handler;
try {
  const root = process.env.LAMBDA_TASK_ROOT;
  const [file, name] = [process.env._HANDLER.slice(0, process.env._HANDLER.lastIndexOf('.')), process.env._HANDLER.slice(process.env._HANDLER.lastIndexOf('.') + 1)];
  const modulePath = ['.mjs', '.cjs', '.js'].map((extension) => path.join(root, file + extension)).find((candidate) => fs.existsSync(candidate));
  if (!modulePath) throw new Error(`Cannot find module '${file}' in ${root}`);
  const loaded = modulePath.endsWith('.mjs') ? await import(pathToFileURL(modulePath).href) : createRequire(modulePath)(modulePath);
  handler = loaded[name];
  if (typeof handler !== 'function') throw new Error(`${process.env._HANDLER} is not a function`);
} catch (error) {
  console.error(error);
  await call('POST', '/init/error', errorBody(error), { 'Lambda-Runtime-Function-Error-Type': 'Runtime.ImportModuleError' });
  process.exit(1);
}

for (;;) {
  const next = await call('GET', '/invocation/next');
  const requestId = next.headers['lambda-runtime-aws-request-id'];
  try {
    const result = await handler(JSON.parse(next.body), {});
    await call('POST', `/invocation/${requestId}/response`, result);
  } catch (error) {
    console.error(error);
    await call('POST', `/invocation/${requestId}/error`, errorBody(error), { 'Lambda-Runtime-Function-Error-Type': `Handler.${error?.name ?? 'Error'}` });
  }
}

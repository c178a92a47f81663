// The resolve hook node-resolve.mjs registers (it runs on Node's hooks thread). Node resolves first; only a bare
// specifier it could not find is looked up in each bundle folder in turn, as if imported from a file beside that
// node_modules folder. Relative, absolute, URL and '#' specifiers, and every other error, are left as they are.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

let parents = [];

export function initialize(data) {
  parents = (data?.folders ?? []).map((folder) => pathToFileURL(path.join(path.dirname(folder), 'extension-cache-resolve.mjs')).href);
}

function isBare(specifier) {
  return !/^[./#]/.test(specifier) && !/^[a-zA-Z][a-zA-Z\d+.-]*:/.test(specifier);
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !isBare(specifier)) {
      throw error;
    }

    for (const parentURL of parents) {
      try {
        return await nextResolve(specifier, { ...context, parentURL });
      } catch (inner) {
        if (inner?.code !== 'ERR_MODULE_NOT_FOUND') {
          throw inner;
        }
      }
    }

    throw error;
  }
}

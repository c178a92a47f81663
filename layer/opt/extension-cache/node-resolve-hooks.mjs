// The resolve hook node-resolve.mjs registers: Node resolves first; only a bare specifier it could not find is
// looked up in each bundle folder in turn, as if imported from a file beside that node_modules folder. Relative,
// absolute, URL and '#' specifiers, and every other error, are left as they are. resolveSync serves
// module.registerHooks; initialize and resolve serve module.register (on Node's hooks thread).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const isBare = (specifier) => !/^[./#]/.test(specifier) && !/^[a-zA-Z][a-zA-Z\d+.-]*:/.test(specifier);

const notFound = (error) => error?.code === 'ERR_MODULE_NOT_FOUND';

/** file: URLs of a file beside each node_modules folder: Node looks for a bare specifier in <folder>/<name>. */
export const parentsOf = (folders) => folders.map((folder) => pathToFileURL(path.join(path.dirname(folder), 'extension-cache-resolve.mjs')).href);

export function resolveSync(folders) {
  const parents = parentsOf(folders);
  return (specifier, context, nextResolve) => {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (!notFound(error) || !isBare(specifier)) throw error;
      for (const parentURL of parents) {
        try {
          return nextResolve(specifier, { ...context, parentURL });
        } catch (inner) {
          if (!notFound(inner)) throw inner;
        }
      }
      throw error;
    }
  };
}

let parents = [];

export function initialize(data) {
  parents = parentsOf(data?.folders ?? []);
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (!notFound(error) || !isBare(specifier)) throw error;
    for (const parentURL of parents) {
      try {
        return await nextResolve(specifier, { ...context, parentURL });
      } catch (inner) {
        if (!notFound(inner)) throw inner;
      }
    }
    throw error;
  }
}

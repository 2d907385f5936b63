import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The pool runs compiled JavaScript. From dist/src/parallel/ the worker is dist/workers/; when
 * this module runs from its TypeScript source (the tests), the compiled worker is found under
 * dist/ as well, which is why `npm test` builds first.
 */
export function gradientWorkerPath(): string {
  return compiledWorkerPath('gradient-worker');
}

/** The compiled workers/NAME.js, from dist/ or from the sources (see above). */
export function compiledWorkerPath(name: string): string {
  const here = import.meta.url;
  const compiledSibling = fileURLToPath(new URL(`../../workers/${name}.js`, here));
  if (existsSync(compiledSibling)) return compiledSibling;
  const fromSource = fileURLToPath(new URL(`../../dist/workers/${name}.js`, here));
  if (existsSync(fromSource)) return fromSource;
  throw new Error(`compiled worker not found at ${compiledSibling} or ${fromSource}: run \`npm run build\``);
}

import { existsSync } from 'node:fs';
import path from 'node:path';

/** The project root: the nearest folder above this file that holds package.json (works from `dev/` and `dist/dev/`). */
function findRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export const PROJECT_ROOT = findRoot(__dirname);
/** Where the local stack keeps its state: certificates, Azurite data (with --persist), local-stack.json. */
export const DATA_DIR = path.join(PROJECT_ROOT, '.data');

// How `npm start` runs the server, for the scripts that measure or torture it: the same build (dist/) and the
// same Node flags, read from package.json so that they cannot drift apart.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Builds dist/ (npm run build) and returns the arguments of `node` in package.json's start script. */
export function buildProductionServer(): string[] {
  const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
    .scripts;
  const match = /\bnode((?:\s+--\S+)*)\s+(dist\/\S+\.js)/.exec(scripts.start ?? '');
  if (!match) throw new Error(`package.json scripts.start does not run "node [flags] dist/….js": ${scripts.start}`);
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  return [...match[1]!.trim().split(/\s+/).filter(Boolean), match[2]!];
}

// A real server process (src/main.ts run by tsx) for tests of what only a whole process shows: the first start,
// a kill -9 and the restart after it. Its output is kept line by line for assertions and failure reports.
import { type ChildProcess, spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../../src/project-root.js';

export interface ServerProcess {
  process: ChildProcess;
  /** Every line the process wrote to stdout or stderr, in order. */
  lines: string[];
  exited: Promise<void>;
}

export function startServerProcess(env: NodeJS.ProcessEnv): ServerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { process: child, lines, exited };
}

// The servers and commands the benchmark starts: child processes killed with the harness, free ports, readiness,
// and the peak memory (VmHWM) of a process tree.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ROOT } from './common.js';

export const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => process.exit(130));
}

/** The environment without what would change how a child behaves here. */
export function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of [
    'WEB_CONCURRENCY',
    'DATABASE_URL',
    'PORT',
    'HOST',
    'DATA_DIR',
    'SEED_DEMO',
    'OPEN311_BOOTSTRAP_API_KEY',
    'LOG_LEVEL',
  ])
    delete env[name];
  return env;
}

export function runChild(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
    children.add(child);
    child.on('error', reject);
    child.on('exit', (code) => {
      children.delete(child);
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(file)} ${args.join(' ')} exited with ${code}`));
    });
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Server {
  name: string;
  base: string;
  process: ChildProcess;
  stderr: string[];
}

export async function startServer(
  name: string,
  nodeArguments: string[],
  env: NodeJS.ProcessEnv,
  readyPath: string,
): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, nodeArguments, {
    cwd: ROOT,
    env: { ...baseEnv(), ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  const server: Server = { name, base: `http://127.0.0.1:${port}`, process: child, stderr: [] };
  child.stderr!.on('data', (chunk: Buffer) => {
    server.stderr.push(chunk.toString('utf8'));
    if (server.stderr.length > 50) server.stderr.shift();
  });
  child.on('exit', () => children.delete(child));
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited at start (${child.exitCode}):\n${server.stderr.join('')}`);
    try {
      const response = await fetch(`${server.base}${readyPath}`);
      await response.arrayBuffer();
      if (response.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not answer within 180 s:\n${server.stderr.join('')}`);
    await sleep(250);
  }
  return server;
}

export async function stopServer(server: Server): Promise<void> {
  const child = server.process;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The process and its descendant Node processes (cluster workers; not helpers such as esbuild). */
export function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = parents.get(ppid) ?? [];
      list.push(Number(entry));
      parents.set(ppid, list);
    } catch {
      // gone
    }
  }
  const isNode = (member: number): boolean => {
    try {
      return fs.readlinkSync(`/proc/${member}/exe`) === fs.realpathSync(process.execPath);
    } catch {
      return false;
    }
  };
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const next = queue.shift()!;
    if (next === pid || isNode(next)) tree.push(next);
    queue.push(...(parents.get(next) ?? []));
  }
  return tree;
}

let peakResetWorks = true;
/** Whether every reset of the peak RSS was permitted (else peaks are over each process's lifetime). */
export const peakResetPermitted = (): boolean => peakResetWorks;
/** Resets the peak RSS (VmHWM) of a process tree, where the kernel allows it (echo 5 > clear_refs). */
export function resetPeak(pid: number): void {
  for (const member of processTree(pid)) {
    try {
      fs.writeFileSync(`/proc/${member}/clear_refs`, '5');
    } catch {
      peakResetWorks = false;
    }
  }
}

/** Peak RSS in MB of a process tree: the sum of VmHWM of its members. */
export function peakRssMb(pid: number): number {
  let kb = 0;
  for (const member of processTree(pid)) {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${member}/status`, 'utf8'));
      if (match) kb += Number(match[1]);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

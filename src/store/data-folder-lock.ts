// One process owns an embedded data folder: PGlite has no guard of its own, and two processes writing the
// same folder lose data (a key created by one is unknown to the other and vanishes, the store can be left
// unable to start). The owner holds DATA_DIR/open311.lock, created with O_EXCL and mode 0600, naming its pid
// (and, on Linux, the pid's start time, so a pid reused after a crash or a container restart is not taken for
// the owner). A running server also writes there the loopback address and secret of its admin endpoint
// (src/http/admin-server.ts), through which command-line tools work while it runs (src/cli/store-access.ts).
//
// A lock whose process is gone (killed, crashed) is stale and is taken over: under a short-lived
// open311.lock.takeover guard (O_EXCL too), the stale file is re-read and removed only if it is still the one
// judged stale, so two processes starting at once cannot both take it.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { dataFolderInUse } from '../errors.js';

export const LOCK_FILE_NAME = 'open311.lock';
const TAKEOVER_SUFFIX = '.takeover';
/** A takeover never takes this long: an older guard was left by a process killed in the middle of one. */
const TAKEOVER_GUARD_EXPIRY_MS = 10_000;

export interface AdminEndpoint {
  url: string;
  secret: string;
}

export interface LockContents {
  pid: number;
  /** Linux: the pid's start time (clock ticks since boot), to tell a reused pid from the owner. */
  process_start?: string;
  /** Tells this holding apart from an earlier one of the same pid. */
  token: string;
  /** What holds it: "server" or the name of a command-line tool. */
  holder: string;
  started_at: string;
  admin?: AdminEndpoint;
}

export interface DataFolderLock {
  readonly path: string;
  readonly contents: LockContents;
  /** Rewrites the lock (atomically, still mode 0600) with the admin endpoint of this server. */
  publishAdminEndpoint(admin: AdminEndpoint): void;
  release(): void;
}

const held = new Set<string>();

function lockPath(dataDirectory: string): string {
  return path.join(dataDirectory, LOCK_FILE_NAME);
}

/** Linux: the state and start time of a process (/proc/PID/stat), when it can be read. */
function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3, starttime 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', start: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

const processStart = (pid: number): string | undefined => procStat(pid)?.start;

/** Whether the process that wrote this lock still runs (a pid reused by another process does not count). */
function holderIsAlive(contents: LockContents): boolean {
  if (contents.pid === process.pid) return held.has(contents.token);
  try {
    process.kill(contents.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(contents.pid);
  if (stat === undefined) return true;
  // A killed process not yet reaped by its parent (a zombie) holds nothing.
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return contents.process_start === undefined || stat.start === contents.process_start;
}

function parse(text: string): LockContents | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockContents>;
    if (typeof value.pid === 'number' && Number.isInteger(value.pid) && value.pid > 0 && typeof value.token === 'string')
      return value as LockContents;
  } catch {
    // a lock being written, or garbage
  }
  return undefined;
}

/** The current owner of the folder, when a live process holds it. */
export function readLiveLock(dataDirectory: string): LockContents | undefined {
  let text: string;
  try {
    text = fs.readFileSync(lockPath(dataDirectory), 'utf8');
  } catch {
    return undefined;
  }
  const contents = parse(text);
  return contents && holderIsAlive(contents) ? contents : undefined;
}

const sleep = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/** Removes the lock file if it still holds exactly `stale`, under the takeover guard. */
function takeOver(file: string, stale: string): void {
  const guard = file + TAKEOVER_SUFFIX;
  for (let attempt = 0; ; attempt++) {
    try {
      fs.closeSync(fs.openSync(guard, 'wx', 0o600));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - fs.statSync(guard).mtimeMs > TAKEOVER_GUARD_EXPIRY_MS) fs.rmSync(guard, { force: true });
      } catch {
        // gone meanwhile
      }
      if (attempt > 200) throw new Error(`Could not take over the stale lock ${file}: ${guard} stays in place.`);
      sleep(50);
    }
  }
  try {
    let current: string | undefined;
    try {
      current = fs.readFileSync(file, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === stale) fs.rmSync(file, { force: true });
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

function writeAtomically(file: string, contents: LockContents): void {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(temporary, JSON.stringify(contents), { mode: 0o600 });
  fs.renameSync(temporary, file);
}

/**
 * Takes the data folder for this process, or throws the "in use" error naming the owner's pid and
 * `alternative` (what the operator can do instead). Released by release() or when the process exits.
 */
export function acquireDataFolderLock(dataDirectory: string, holder: string, alternative: string): DataFolderLock {
  fs.mkdirSync(dataDirectory, { recursive: true });
  const file = lockPath(dataDirectory);
  const start = processStart(process.pid);
  const contents: LockContents = {
    pid: process.pid,
    ...(start === undefined ? {} : { process_start: start }),
    token: randomBytes(12).toString('hex'),
    holder,
    started_at: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const descriptor = fs.openSync(file, 'wx', 0o600);
      try {
        fs.writeSync(descriptor, JSON.stringify(contents));
        fs.fsyncSync(descriptor);
      } finally {
        fs.closeSync(descriptor);
      }
      return holdLock(file, contents);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue; // removed meanwhile: try again
    }
    const existing = parse(text);
    if (existing && holderIsAlive(existing)) throw dataFolderInUse(dataDirectory, existing.pid, alternative);
    if (!existing) {
      // Just created and not yet written by its owner, or left unreadable by a crash: wait a little first.
      let age = 0;
      try {
        age = Date.now() - fs.statSync(file).mtimeMs;
      } catch {
        continue;
      }
      if (age < 2000) {
        sleep(100);
        continue;
      }
    }
    takeOver(file, text);
  }
  throw new Error(`Could not take the lock ${file}.`);
}

function holdLock(file: string, initial: LockContents): DataFolderLock {
  let contents = initial;
  held.add(contents.token);
  const release = (): void => {
    if (!held.delete(contents.token)) return;
    process.removeListener('exit', release);
    try {
      if (parse(fs.readFileSync(file, 'utf8'))?.token === contents.token) fs.rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
  process.on('exit', release);
  return {
    path: file,
    get contents() {
      return contents;
    },
    publishAdminEndpoint(admin) {
      contents = { ...contents, admin };
      writeAtomically(file, contents);
    },
    release,
  };
}

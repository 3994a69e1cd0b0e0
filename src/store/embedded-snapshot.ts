// Backups of the embedded store: a snapshot of the whole data folder (PGlite's dumpDataDir: the PostgreSQL
// files, WAL included, and whatever else the folder holds, such as media/ when MEDIA_DIR is inside it) as a
// gzipped tar, and its restore into an empty folder. The snapshot is taken while this process holds the
// store's only connection, so no statement or transaction of it runs while the files are read (they are read
// synchronously, in one go): the copy is what a crash at that instant would leave, which PostgreSQL recovers
// from on its first start, with every committed transaction in it. The lock file of the folder is left out.
//
// The snapshot is built in memory (about the size of the folder): the embedded store is for small cities;
// use PostgreSQL and pg_dump beyond that (README "Backups").
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { OperatorError } from '../errors.js';
import { acquireDataFolderLock, LOCK_FILE_NAME } from './data-folder-lock.js';
import { embeddedInstanceOf, embeddedModules, type Db } from './db.js';

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);
const BLOCK = 512;

export async function snapshotEmbeddedStore(db: Db): Promise<Buffer> {
  // Holding the one connection: nothing else of this process uses the store until the files are read.
  const connection = await db.client.acquireConnection();
  let tar: Uint8Array;
  try {
    const instance = embeddedInstanceOf(db);
    if (!instance || instance.closed) throw new Error('The embedded store is not open.');
    await instance.query('CHECKPOINT');
    tar = new Uint8Array(await (await instance.dumpDataDir('none')).arrayBuffer());
  } finally {
    await db.client.releaseConnection(connection);
  }
  return gzip(withoutLockFiles(tar));
}

function entryName(header: Uint8Array): string {
  const text = (start: number, length: number): string => {
    const field = Buffer.from(header.subarray(start, start + length));
    const end = field.indexOf(0);
    return field.subarray(0, end === -1 ? length : end).toString('utf8');
  };
  const prefix = text(345, 155);
  const name = text(0, 100);
  return prefix ? `${prefix}/${name}` : name;
}

function entrySize(header: Uint8Array): number {
  const field = Buffer.from(header.subarray(124, 136)).toString('latin1').replace(/\0.*$/s, '').trim();
  return field === '' ? 0 : Number.parseInt(field, 8);
}

/** The tar without this folder's lock files (they describe the process that took the snapshot). */
function withoutLockFiles(tar: Uint8Array): Buffer {
  const kept: Uint8Array[] = [];
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const size = entrySize(header);
    const length = BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    const base = path.posix.basename(entryName(header));
    if (!base.startsWith(LOCK_FILE_NAME)) kept.push(tar.subarray(offset, offset + length));
    offset += length;
  }
  kept.push(new Uint8Array(BLOCK * 2));
  return Buffer.concat(kept);
}

/** Writes the backup file whole or not at all (a temporary file renamed into place), readable by its owner only. */
export function writeBackupFile(file: string, snapshot: Buffer): void {
  const temporary = `${file}.partial-${process.pid}`;
  try {
    fs.writeFileSync(temporary, snapshot, { mode: 0o600 });
    fs.renameSync(temporary, file);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

/** Fills an empty (or missing) data folder from a snapshot file, and checks that the store opens. */
export async function restoreEmbeddedStore(file: string, dataDirectory: string): Promise<void> {
  if (fs.existsSync(dataDirectory) && fs.readdirSync(dataDirectory).length > 0)
    throw new OperatorError(
      `The data folder ${dataDirectory} is not empty; restore only fills an empty one. Move it aside (or set DATA_DIR to a new folder) first.`,
    );
  const compressed = fs.readFileSync(file);
  let tar: Buffer;
  try {
    tar = await gunzip(compressed);
  } catch {
    throw new OperatorError(`${file} is not a backup of the embedded store (not gzip).`);
  }
  if (!hasEntry(tar, 'PG_VERSION'))
    throw new OperatorError(`${file} is not a backup of the embedded store (no PG_VERSION in it).`);
  const lock = acquireDataFolderLock(dataDirectory, 'restore', 'Wait for it to finish, or restore into another folder.');
  try {
    const { PGlite, postgis, btree_gist } = embeddedModules();
    const instance = new PGlite({
      dataDir: dataDirectory,
      loadDataDir: new Blob([new Uint8Array(tar)], { type: 'application/x-tar' }),
      extensions: { postgis, btree_gist },
    });
    try {
      await instance.waitReady;
      await instance.query('SELECT count(*) FROM knex_migrations');
    } finally {
      await instance.close();
    }
  } catch (error) {
    for (const entry of fs.readdirSync(dataDirectory)) {
      if (!entry.startsWith(LOCK_FILE_NAME)) fs.rmSync(path.join(dataDirectory, entry), { recursive: true, force: true });
    }
    throw error;
  } finally {
    lock.release();
  }
}

function hasEntry(tar: Buffer, base: string): boolean {
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) return false;
    if (path.posix.basename(entryName(header)) === base) return true;
    offset += BLOCK + Math.ceil(entrySize(header) / BLOCK) * BLOCK;
  }
  return false;
}

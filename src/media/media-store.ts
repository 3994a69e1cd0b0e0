// Uploaded media on disk under MEDIA_DIR, published under /media/ so that a request's media_url works.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ImageType } from './images.js';

export const MEDIA_URL_PATH = '/media';

export interface MediaSettings {
  directory: string;
  publicUrl: string;
}

const EXTENSIONS: Record<ImageType, string> = { jpeg: 'jpg', png: 'png', gif: 'gif', webp: 'webp' };

/** Writes the file (fsync'd, so an acknowledged request's photo survives a crash) and returns its public URL. */
export async function saveMedia(
  settings: MediaSettings,
  type: ImageType,
  bytes: Buffer,
  now = new Date(),
): Promise<{ url: string; file: string }> {
  const folder = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
  const name = `${randomUUID()}.${EXTENSIONS[type]}`;
  const directory = path.join(settings.directory, folder);
  await fs.mkdir(directory, { recursive: true });
  const file = path.join(directory, name);
  const handle = await fs.open(file, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { url: `${settings.publicUrl}${MEDIA_URL_PATH}/${folder}/${name}`, file };
}

/** Removes files of a request that was not stored after all. */
export async function discardMedia(files: string[]): Promise<void> {
  await Promise.all(files.map((file) => fs.rm(file, { force: true })));
}

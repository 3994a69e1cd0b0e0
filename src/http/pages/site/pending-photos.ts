// Photos chosen on the details step, held aside until the report is sent: checked (and their metadata removed)
// at once, so a bad file is refused on its own field, then handed to the same intake as any upload at the send.
// They live in a dot-folder of MEDIA_DIR: on the same disk, shared by the server processes of one host, and
// never served by /media (dotfiles are denied there). Files older than a day are swept away.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cleanImage, IMAGE_CONTENT_TYPES, type ImageType } from '../../../media/images.js';

const MAX_AGE_MS = 24 * 3600 * 1000;
const ID = /^[0-9a-f]{32}\.(jpeg|png|gif|webp)$/;

/** HEIC/HEIF (iPhone photos): an ISO-BMFF "ftyp" box with one of these brands. */
export function isHeic(bytes: Buffer): boolean {
  if (bytes.length < 12 || bytes.subarray(4, 8).toString('latin1') !== 'ftyp') return false;
  const brands = bytes.subarray(8, Math.min(bytes.length, 64)).toString('latin1');
  return /heic|heix|hevc|hevx|heim|heis|mif1|msf1|avif/.test(brands);
}

export class PendingPhotos {
  private lastSweep = 0;

  constructor(private readonly directory: string) {}

  /** Checks and cleans the image, keeps it aside and returns its id; throws an Open311Error 400 when invalid. */
  async add(bytes: Buffer): Promise<string> {
    const image = cleanImage(bytes);
    const id = `${randomBytes(16).toString('hex')}.${image.type}`;
    await fs.mkdir(this.directory, { recursive: true });
    await fs.writeFile(path.join(this.directory, id), image.bytes, { flag: 'wx' });
    void this.sweep();
    return id;
  }

  async read(id: string): Promise<{ bytes: Buffer; contentType: string } | undefined> {
    if (!ID.test(id)) return undefined;
    try {
      const bytes = await fs.readFile(path.join(this.directory, id));
      return { bytes, contentType: IMAGE_CONTENT_TYPES[id.split('.')[1] as ImageType] };
    } catch {
      return undefined;
    }
  }

  async remove(ids: readonly string[]): Promise<void> {
    await Promise.all(ids.filter((id) => ID.test(id)).map((id) => fs.rm(path.join(this.directory, id), { force: true })));
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    if (now - this.lastSweep < 3600 * 1000) return;
    this.lastSweep = now;
    try {
      for (const name of await fs.readdir(this.directory)) {
        const file = path.join(this.directory, name);
        const stat = await fs.stat(file);
        if (now - stat.mtimeMs > MAX_AGE_MS) await fs.rm(file, { force: true });
      }
    } catch {
      // A sweep that fails is retried an hour later; nothing depends on it.
    }
  }
}

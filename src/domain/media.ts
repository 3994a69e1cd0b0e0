// Uploaded media of a POST (digest §3.5): checked and cleaned before anything is stored, written before the
// database row, removed again when the row is not stored.
import { cleanImage, type ImageType } from '../media/images.js';
import { discardMedia } from '../media/media-store.js';

export type MediaSink = (type: ImageType, bytes: Buffer) => Promise<{ url: string; file: string }>;

/** Validates every upload (all or nothing), then stores them; returns their URLs and a way to undo. */
export async function storeUploads(
  uploads: Array<{ bytes: Buffer }>,
  sink: MediaSink,
): Promise<{ urls: string[]; discard: () => Promise<void> }> {
  const cleaned = uploads.map((upload) => cleanImage(upload.bytes));
  const saved: Array<{ url: string; file: string }> = [];
  try {
    for (const image of cleaned) saved.push(await sink(image.type, image.bytes));
  } catch (error) {
    await discardMedia(saved.map((item) => item.file));
    throw error;
  }
  return { urls: saved.map((item) => item.url), discard: () => discardMedia(saved.map((item) => item.file)) };
}

/** Runs `store` with the uploads saved; if it fails, the files are removed and the error rethrown. */
export async function withUploads<T>(
  uploads: Array<{ bytes: Buffer }>,
  sink: MediaSink,
  store: (urls: string[]) => Promise<T>,
): Promise<T> {
  if (uploads.length === 0) return store([]);
  const { urls, discard } = await storeUploads(uploads, sink);
  try {
    return await store(urls);
  } catch (error) {
    await discard();
    throw error;
  }
}

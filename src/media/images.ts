// Uploaded images: the type is decided by the file's bytes (never its name or declared type), and the
// metadata that can identify a resident — EXIF (GPS position, camera serial, time), XMP, IPTC, comments —
// is removed before anything is stored. Pixels are not re-encoded.
import { badRequest } from '../errors.js';

export type ImageType = 'jpeg' | 'png' | 'gif' | 'webp';

export const IMAGE_CONTENT_TYPES: Record<ImageType, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
};

export function sniffImageType(bytes: Buffer): ImageType | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'png';
  if (bytes.length >= 6 && ['GIF87a', 'GIF89a'].includes(bytes.subarray(0, 6).toString('latin1'))) return 'gif';
  if (
    bytes.length >= 12 &&
    bytes.subarray(0, 4).toString('latin1') === 'RIFF' &&
    bytes.subarray(8, 12).toString('latin1') === 'WEBP'
  )
    return 'webp';
  return undefined;
}

const invalid = (type: ImageType) => badRequest(`The uploaded ${type.toUpperCase()} image is damaged or not a valid image.`);

/** JPEG: drop APP1 (EXIF, XMP), APP13 (IPTC/Photoshop) and COM segments; keep everything else as is. */
function stripJpeg(bytes: Buffer): Buffer {
  const kept: Buffer[] = [bytes.subarray(0, 2)];
  let offset = 2;
  while (offset < bytes.length) {
    if (bytes[offset] !== 0xff) throw invalid('jpeg');
    let marker = bytes[offset + 1];
    // Fill bytes (0xFF padding) between segments.
    while (marker === 0xff && offset + 2 < bytes.length) {
      offset += 1;
      marker = bytes[offset + 1];
    }
    if (marker === undefined) throw invalid('jpeg');
    if (marker === 0xd9) {
      kept.push(bytes.subarray(offset, offset + 2));
      return Buffer.concat(kept);
    }
    // Markers without a length.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      kept.push(bytes.subarray(offset, offset + 2));
      offset += 2;
      continue;
    }
    if (offset + 4 > bytes.length) throw invalid('jpeg');
    const length = bytes.readUInt16BE(offset + 2);
    const end = offset + 2 + length;
    if (length < 2 || end > bytes.length) throw invalid('jpeg');
    if (marker === 0xda) {
      // Start of scan: entropy-coded data follows up to the end; nothing after it carries metadata we keep out.
      kept.push(bytes.subarray(offset));
      return Buffer.concat(kept);
    }
    const drop = marker === 0xe1 || marker === 0xed || marker === 0xfe;
    if (!drop) kept.push(bytes.subarray(offset, end));
    offset = end;
  }
  throw invalid('jpeg');
}

/** PNG: drop eXIf and the text chunks (tEXt, zTXt, iTXt) and tIME. */
function stripPng(bytes: Buffer): Buffer {
  const kept: Buffer[] = [bytes.subarray(0, 8)];
  let offset = 8;
  const dropped = new Set(['eXIf', 'tEXt', 'zTXt', 'iTXt', 'tIME']);
  while (offset + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.subarray(offset + 4, offset + 8).toString('latin1');
    const end = offset + 12 + length;
    if (end > bytes.length) throw invalid('png');
    if (!dropped.has(type)) kept.push(bytes.subarray(offset, end));
    offset = end;
    if (type === 'IEND') return Buffer.concat(kept);
  }
  throw invalid('png');
}

/** WebP: drop the EXIF and XMP chunks, clear their flags in VP8X and fix the RIFF size. */
function stripWebp(bytes: Buffer): Buffer {
  const kept: Buffer[] = [];
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const type = bytes.subarray(offset, offset + 4).toString('latin1');
    const size = bytes.readUInt32LE(offset + 4);
    const end = offset + 8 + size + (size % 2);
    if (offset + 8 + size > bytes.length) throw invalid('webp');
    if (type === 'VP8X') {
      const chunk = Buffer.from(bytes.subarray(offset, Math.min(end, bytes.length)));
      chunk[8] = (chunk[8] ?? 0) & ~0x0c; // EXIF (0x08) and XMP (0x04) flags
      kept.push(chunk);
    } else if (type !== 'EXIF' && type !== 'XMP ') {
      kept.push(bytes.subarray(offset, Math.min(end, bytes.length)));
    }
    offset = end;
  }
  const body = Buffer.concat(kept);
  const header = Buffer.alloc(12);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(body.length + 4, 4);
  header.write('WEBP', 8, 'latin1');
  return Buffer.concat([header, body]);
}

/** Checks the bytes are an image of an accepted type and returns them without identifying metadata. */
export function cleanImage(bytes: Buffer): { type: ImageType; bytes: Buffer } {
  const type = sniffImageType(bytes);
  if (!type) throw badRequest('Uploaded media must be a JPEG, PNG, GIF or WebP image.');
  switch (type) {
    case 'jpeg':
      return { type, bytes: stripJpeg(bytes) };
    case 'png':
      return { type, bytes: stripPng(bytes) };
    case 'webp':
      return { type, bytes: stripWebp(bytes) };
    default:
      // GIF has no EXIF/GPS block; its comment extensions are not parsed.
      return { type, bytes };
  }
}

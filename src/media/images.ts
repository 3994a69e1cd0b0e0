// Uploaded images: the type is decided by the file's bytes (never its name or declared type), and only the
// picture is stored. Each format keeps an allow-list of the parts that draw the picture (image data, colour
// and animation); everything else — EXIF (GPS position, camera serial, time), XMP, IPTC, comments, thumbnails,
// content credentials (C2PA), vendor segments and whatever follows the end of the image (motion-photo video)
// — is dropped, known or not. The EXIF Orientation alone is kept, so photos stay upright. Pixels are not
// re-encoded.
import zlib from 'node:zlib';
import { badRequest } from '../errors.js';

export type ImageType = 'jpeg' | 'png' | 'gif' | 'webp';

export const IMAGE_CONTENT_TYPES: Record<ImageType, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
};

function sniffImageType(bytes: Buffer): ImageType | undefined {
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

const EXIF_HEADER = Buffer.from('Exif\0\0', 'latin1');

/** The EXIF Orientation (tag 0x0112 of IFD0) of a TIFF block (a leading "Exif\0\0" is skipped), when valid (1–8). */
function exifOrientation(block: Buffer): number | undefined {
  const tiff = block.subarray(0, 6).equals(EXIF_HEADER) ? block.subarray(6) : block;
  if (tiff.length < 8) return undefined;
  const order = tiff.subarray(0, 2).toString('latin1');
  if (order !== 'II' && order !== 'MM') return undefined;
  const little = order === 'II';
  const u16 = (at: number) => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  if (u16(2) !== 42) return undefined;
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return undefined;
  const count = u16(ifd);
  for (let index = 0; index < count; index++) {
    const entry = ifd + 2 + index * 12;
    if (entry + 12 > tiff.length) return undefined;
    // Type 3 = SHORT, one value, stored in the first two bytes of the value field.
    if (u16(entry) === 0x0112 && u16(entry + 2) === 3 && u32(entry + 4) === 1) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : undefined;
    }
  }
  return undefined;
}

/** A TIFF block holding the Orientation tag and nothing else (big-endian, one IFD0 entry, no thumbnail). */
function orientationTiff(orientation: number): Buffer {
  const tiff = Buffer.alloc(26);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4); // IFD0 right after the header
  tiff.writeUInt16BE(1, 8); // one entry
  tiff.writeUInt16BE(0x0112, 10);
  tiff.writeUInt16BE(3, 12);
  tiff.writeUInt32BE(1, 14);
  tiff.writeUInt16BE(orientation, 18);
  tiff.writeUInt32BE(0, 22); // no next IFD (no thumbnail)
  return tiff;
}

/** The orientation worth keeping (not 1, the default) of an EXIF block, as an orientation-only TIFF. */
function keptOrientation(block: Buffer): Buffer | undefined {
  const orientation = exifOrientation(block);
  return orientation === undefined || orientation === 1 ? undefined : orientationTiff(orientation);
}

/** An APP1 EXIF segment holding the Orientation tag and nothing else. */
function orientationSegment(tiff: Buffer): Buffer {
  const payload = Buffer.concat([EXIF_HEADER, tiff]);
  const header = Buffer.from([0xff, 0xe1, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

/**
 * End of the entropy-coded data that starts at `offset`: the first marker that is neither a stuffed 0xFF00
 * nor a restart marker (RST0–7), or the end of the file for a truncated image.
 */
function entropyEnd(bytes: Buffer, offset: number): number {
  let at = offset;
  while (at + 1 < bytes.length) {
    if (bytes[at] !== 0xff) {
      at += 1;
      continue;
    }
    const next = bytes[at + 1]!;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) at += 2;
    else if (next === 0xff)
      at += 1; // fill byte before a marker
    else return at;
  }
  return bytes.length;
}

const JFIF = Buffer.from('JFIF\0', 'latin1');
const ICC_PROFILE = Buffer.from('ICC_PROFILE\0', 'latin1');
const ADOBE = Buffer.from('Adobe', 'latin1');

/**
 * The application segment (APP0–APP15) to keep in place of `segment`, if any. Only three draw the picture:
 * JFIF (without its thumbnail), the ICC colour profile and Adobe's colour transform. The rest — EXIF and XMP
 * (APP1), IPTC (APP13), content credentials (APP11 JUMBF), multi-picture indexes and vendors' own segments —
 * are dropped, known or not.
 */
function keptApplicationSegment(marker: number, segment: Buffer): Buffer | undefined {
  const payload = segment.subarray(4);
  const startsWith = (prefix: Buffer) => payload.subarray(0, prefix.length).equals(prefix);
  if (marker === 0xe0 && startsWith(JFIF) && payload.length >= 14) {
    // Version, density; the thumbnail's size set to 0×0 and its pixels left out (it may show what was cropped).
    const jfif = Buffer.from(segment.subarray(0, 18));
    jfif.writeUInt16BE(16, 2);
    jfif[16] = 0;
    jfif[17] = 0;
    return jfif;
  }
  if ((marker === 0xe2 && startsWith(ICC_PROFILE)) || (marker === 0xee && startsWith(ADOBE))) return segment;
  return undefined;
}

/**
 * JPEG: the frame, tables and scans; the application segments keptApplicationSegment allows; no comments and
 * nothing after EOI (phones append motion-photo video there). The EXIF Orientation alone is kept, in a
 * minimal APP1 where the EXIF was, so phone photos stay upright.
 */
function stripJpeg(bytes: Buffer): Buffer {
  const kept: Buffer[] = [bytes.subarray(0, 2)];
  let orientationKept = false;
  let scanned = false;
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
      // Start of scan: its entropy-coded data runs to the next marker (another segment of a progressive
      // JPEG, or EOI), which the loop then reads like any other.
      scanned = true;
      const dataEnd = entropyEnd(bytes, end);
      kept.push(bytes.subarray(offset, dataEnd));
      offset = dataEnd;
      continue;
    }
    const segment = bytes.subarray(offset, end);
    if (marker >= 0xe0 && marker <= 0xef) {
      const payload = segment.subarray(4);
      const orientation =
        marker === 0xe1 && !orientationKept && payload.subarray(0, 6).equals(EXIF_HEADER) ? keptOrientation(payload) : undefined;
      if (orientation) {
        kept.push(orientationSegment(orientation));
        orientationKept = true;
      }
      const application = keptApplicationSegment(marker, segment);
      if (application) kept.push(application);
    } else if (marker !== 0xfe) {
      kept.push(segment); // frame, tables, restart interval… (COM, 0xFE, is dropped)
    }
    offset = end;
  }
  // A scan cut short (no EOI): what was there is kept, there is nothing after it.
  if (scanned) return Buffer.concat(kept);
  throw invalid('jpeg');
}

/**
 * PNG chunks that draw the picture: the image itself, transparency, colour (gamma, chromaticities, ICC,
 * sRGB, HDR), background, pixel size, palettes and APNG animation. Text, time, EXIF, content credentials
 * (caBX) and any other chunk, private ones included, are dropped.
 */
const PNG_PICTURE_CHUNKS = new Set([
  'IHDR',
  'PLTE',
  'IDAT',
  'IEND',
  'tRNS',
  'cHRM',
  'gAMA',
  'iCCP',
  'sBIT',
  'sRGB',
  'cICP',
  'mDCV',
  'mDCv',
  'cLLI',
  'cLLi',
  'bKGD',
  'hIST',
  'pHYs',
  'acTL',
  'fcTL',
  'fdAT',
]);

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * PNG: the chunks of PNG_PICTURE_CHUNKS, up to IEND (nothing after it). An eXIf chunk's Orientation is kept
 * alone, in a minimal eXIf where the EXIF was.
 */
function stripPng(bytes: Buffer): Buffer {
  const kept: Buffer[] = [bytes.subarray(0, 8)];
  let offset = 8;
  while (offset + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.subarray(offset + 4, offset + 8).toString('latin1');
    const end = offset + 12 + length;
    if (end > bytes.length) throw invalid('png');
    if (PNG_PICTURE_CHUNKS.has(type)) kept.push(bytes.subarray(offset, end));
    else if (type === 'eXIf') {
      const orientation = keptOrientation(bytes.subarray(offset + 8, end - 4));
      if (orientation) kept.push(pngChunk('eXIf', orientation));
    }
    offset = end;
    if (type === 'IEND') return Buffer.concat(kept);
  }
  throw invalid('png');
}

/** WebP chunks that draw the picture: image data, alpha, the extended header, animation and the ICC profile. */
const WEBP_PICTURE_CHUNKS = new Set(['VP8 ', 'VP8L', 'VP8X', 'ALPH', 'ANIM', 'ANMF', 'ICCP']);
/** VP8X flags: EXIF (0x08) and XMP (0x04) metadata present. */
const VP8X_EXIF = 0x08;
const VP8X_XMP = 0x04;

/**
 * WebP: the chunks of WEBP_PICTURE_CHUNKS within the RIFF size (bytes after it are not part of the image),
 * an EXIF chunk's Orientation alone (in a minimal EXIF chunk, its VP8X flag set to match), the RIFF size
 * fixed.
 */
function stripWebp(bytes: Buffer): Buffer {
  const kept: Buffer[] = [];
  const riffEnd = Math.min(bytes.length, 8 + bytes.readUInt32LE(4));
  let header: Buffer | undefined;
  let orientationKept = false;
  let offset = 12;
  while (offset + 8 <= riffEnd) {
    const type = bytes.subarray(offset, offset + 4).toString('latin1');
    const size = bytes.readUInt32LE(offset + 4);
    const end = offset + 8 + size + (size % 2);
    if (offset + 8 + size > riffEnd) throw invalid('webp');
    const chunk = bytes.subarray(offset, Math.min(end, riffEnd));
    if (type === 'VP8X') {
      header = Buffer.from(chunk);
      kept.push(header);
    } else if (WEBP_PICTURE_CHUNKS.has(type)) {
      kept.push(chunk);
    } else if (type === 'EXIF' && header && !orientationKept) {
      const orientation = keptOrientation(bytes.subarray(offset + 8, offset + 8 + size));
      if (orientation) {
        const exif = Buffer.alloc(8 + orientation.length);
        exif.write('EXIF', 0, 'latin1');
        exif.writeUInt32LE(orientation.length, 4);
        orientation.copy(exif, 8);
        kept.push(exif);
        orientationKept = true;
      }
    }
    offset = end;
  }
  if (header && header.length > 8) {
    header[8] = ((header[8] ?? 0) & ~(VP8X_EXIF | VP8X_XMP)) | (orientationKept ? VP8X_EXIF : 0);
  }
  const body = Buffer.concat(kept);
  const riff = Buffer.alloc(12);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(body.length + 4, 4);
  riff.write('WEBP', 8, 'latin1');
  return Buffer.concat([riff, body]);
}

/** The end of the data sub-blocks (size byte, then that many bytes; a 0 size ends them) starting at `offset`. */
function subBlocksEnd(bytes: Buffer, offset: number): number {
  let at = offset;
  for (;;) {
    const size = bytes[at];
    if (size === undefined) throw invalid('gif');
    at += 1 + size;
    if (size === 0) return at;
    if (at > bytes.length) throw invalid('gif');
  }
}

/** Application extensions that only say how to play an animation (loop count, buffering): kept. */
const GIF_PLAYBACK_APPLICATIONS = new Set(['NETSCAPE2.0', 'ANIMEXTS1.0']);

/**
 * GIF: keep the header, colour tables, graphic control extensions, images and the looping extension; drop
 * comments, plain text, every other application extension (XMP, ICC, …) and anything after the trailer.
 */
function stripGif(bytes: Buffer): Buffer {
  if (bytes.length < 13) throw invalid('gif');
  const packed = bytes[10]!;
  let offset = 13 + (packed & 0x80 ? 3 * 2 ** ((packed & 0x07) + 1) : 0);
  if (offset > bytes.length) throw invalid('gif');
  const kept: Buffer[] = [bytes.subarray(0, offset)];
  while (offset < bytes.length) {
    const introducer = bytes[offset];
    if (introducer === 0x3b) {
      kept.push(bytes.subarray(offset, offset + 1));
      return Buffer.concat(kept);
    }
    if (introducer === 0x2c) {
      // Image descriptor (10 bytes), optional local colour table, LZW code size, image data sub-blocks.
      if (offset + 10 > bytes.length) throw invalid('gif');
      const local = bytes[offset + 9]!;
      const dataStart = offset + 10 + (local & 0x80 ? 3 * 2 ** ((local & 0x07) + 1) : 0) + 1;
      if (dataStart > bytes.length) throw invalid('gif');
      const end = subBlocksEnd(bytes, dataStart);
      kept.push(bytes.subarray(offset, end));
      offset = end;
      continue;
    }
    if (introducer !== 0x21 || offset + 2 > bytes.length) throw invalid('gif');
    const label = bytes[offset + 1]!;
    const end = subBlocksEnd(bytes, offset + 2);
    let keep = label === 0xf9; // graphic control: delay and transparency
    if (label === 0xff) {
      const size = bytes[offset + 2] ?? 0;
      const identifier = bytes.subarray(offset + 3, offset + 3 + Math.min(size, 11)).toString('latin1');
      keep = GIF_PLAYBACK_APPLICATIONS.has(identifier);
    }
    if (keep) kept.push(bytes.subarray(offset, end));
    offset = end;
  }
  // No trailer (a truncated file): what was read is kept and the trailer added.
  kept.push(Buffer.from([0x3b]));
  return Buffer.concat(kept);
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
    case 'gif':
      return { type, bytes: stripGif(bytes) };
  }
}

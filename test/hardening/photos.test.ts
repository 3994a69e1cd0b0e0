// Photos keep only the picture (issue 10, item 5): each format keeps only the parts that draw it — a GIF's
// comment, plain text and application extensions (XMP, ICC…) are dropped (the looping extension stays); a
// JPEG's EXIF, XMP, content credentials, vendor segments and thumbnails, a PNG's text, time and private
// chunks, a WebP's XMP and unknown chunks are dropped (ICC and colour stay); bytes after the end of the image
// (JPEG after EOI, GIF after its trailer, PNG after IEND, WebP after its RIFF size — where phones append
// motion-photo video) are dropped; and the EXIF Orientation (JPEG, PNG, WebP) survives alone so phone
// photos stay upright. Every image is built here byte by byte; the HTTP tests upload them and read back what
// /media publishes.
import zlib from 'node:zlib';
import { expect } from 'chai';
import { pngChunk } from '../helpers/image-parts.js';
import request from 'supertest';
import { cleanImage } from '../../src/media/images.js';
import { addServices, LANCASTER } from '../helpers/build.js';
import { BASE, ctx, postMultipart, unique } from '../helpers/test-server.js';

// ---- JPEG ---------------------------------------------------------------------------------------------

function segment(marker: number, payload: Buffer | number[]): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.from([0xff, marker, 0, 0]);
  header.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([header, body]);
}

const SOI = Buffer.from([0xff, 0xd8]);
const EOI = Buffer.from([0xff, 0xd9]);
const APP0 = segment(0xe0, [...Buffer.from('JFIF\0', 'latin1'), 1, 1, 0, 0, 1, 0, 1, 0, 0]);
const DQT = segment(0xdb, [0, ...new Array<number>(64).fill(1)]);
const SOF0 = segment(0xc0, [8, 0, 1, 0, 1, 1, 1, 0x11, 0]); // 1×1, one component
const DHT = segment(0xc4, [0x00, 1, ...new Array<number>(15).fill(0), 0]);
const SOS = segment(0xda, [1, 1, 0x00, 0, 63, 0]);
// Entropy-coded data with a stuffed 0xFF00 and a restart marker inside: neither ends the scan.
const SCAN = Buffer.from([0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56, 0x78]);

/** APP1 EXIF, little- or big-endian: IFD0 with Make, Orientation and a GPS pointer, then GPS text. */
function exifApp1(orientation: number, littleEndian: boolean): Buffer {
  const u16 = (value: number) => {
    const b = Buffer.alloc(2);
    littleEndian ? b.writeUInt16LE(value) : b.writeUInt16BE(value);
    return b;
  };
  const u32 = (value: number) => {
    const b = Buffer.alloc(4);
    littleEndian ? b.writeUInt32LE(value) : b.writeUInt32BE(value);
    return b;
  };
  const entry = (tag: number, type: number, count: number, value: Buffer) =>
    Buffer.concat([u16(tag), u16(type), u32(count), value, Buffer.alloc(4 - value.length)]);
  const text = Buffer.from('CAM-0042 GPSLatitude 39.713670 N GPSLongitude 82.599320 W\0', 'latin1');
  const entries = 3;
  const textOffset = 8 + 2 + entries * 12 + 4;
  const tiff = Buffer.concat([
    Buffer.from(littleEndian ? 'II' : 'MM', 'latin1'),
    u16(42),
    u32(8),
    u16(entries),
    entry(0x010f, 2, text.length, u32(textOffset)), // Make → the text
    entry(0x0112, 3, 1, u16(orientation)),
    entry(0x8825, 4, 1, u32(textOffset)), // GPS IFD pointer
    u32(0),
    text,
  ]);
  return segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]));
}

const XMP = segment(0xe1, Buffer.from('http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>GPS 39.71</x:xmpmeta>', 'latin1'));
/** What a phone appends after EOI: a motion-photo MP4 whose metadata holds the position. */
const MOTION_VIDEO = Buffer.concat([
  Buffer.from([0, 0, 0, 0x18]),
  Buffer.from('ftypmp42\0\0\0\0isommp42', 'latin1'),
  Buffer.from('moov udta ©xyz+39.7137-082.5993/ GPS', 'latin1'),
]);

/** The Orientation of a cleaned JPEG's APP1, read as any viewer would, or undefined when there is none. */
function orientationOf(jpeg: Buffer): number | undefined {
  let offset = 2;
  while (offset + 4 <= jpeg.length && jpeg[offset] === 0xff && jpeg[offset + 1] !== 0xda) {
    const length = jpeg.readUInt16BE(offset + 2);
    if (jpeg[offset + 1] === 0xe1) {
      expect(jpeg.subarray(offset + 4, offset + 10).toString('latin1')).to.equal('Exif\0\0');
      return tiffOrientation(jpeg.subarray(offset + 10, offset + 2 + length));
    }
    offset += 2 + length;
  }
  return undefined;
}

// ---- GIF ----------------------------------------------------------------------------------------------

const GIF_HEADER = Buffer.concat([
  Buffer.from('GIF89a', 'latin1'),
  Buffer.from([1, 0, 1, 0, 0x80, 0, 0]), // 1×1, global colour table of 2 entries
  Buffer.from([0, 0, 0, 0xff, 0xff, 0xff]),
]);
/** An extension: introducer, label, then `blocks` as data sub-blocks and the terminator. */
function extension(label: number, ...blocks: Buffer[]): Buffer {
  return Buffer.concat([
    Buffer.from([0x21, label]),
    ...blocks.map((block) => Buffer.concat([Buffer.from([block.length]), block])),
    Buffer.from([0]),
  ]);
}
const LOOP = extension(0xff, Buffer.from('NETSCAPE2.0', 'latin1'), Buffer.from([1, 0, 0]));
const GRAPHIC_CONTROL = extension(0xf9, Buffer.from([0, 0, 0, 0]));
const GIF_COMMENT = extension(0xfe, Buffer.from('Taken at 39.7137,-82.5993 by resident Jane', 'latin1'));
const GIF_XMP = extension(
  0xff,
  Buffer.from('XMP DataXMP', 'latin1'),
  Buffer.from('<x:xmpmeta><exif:GPSLatitude>39,42.82N</exif:GPSLatitude></x:xmpmeta>', 'latin1'),
);
const GIF_PLAIN_TEXT = extension(0x01, Buffer.from([0, 0, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1]), Buffer.from('GPS text', 'latin1'));
const GIF_IMAGE = Buffer.from([0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02, 0x02, 0x44, 0x01, 0x00]);
const TRAILER = Buffer.from([0x3b]);

// ---- PNG and WebP -------------------------------------------------------------------------------------

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  pngChunk('IHDR', Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0])),
  pngChunk('IDAT', zlib.deflateSync(Buffer.from([0, 0xff, 0x80, 0x00]))),
  pngChunk('IEND', Buffer.alloc(0)),
]);

function webp(...chunks: Buffer[]): Buffer {
  const body = Buffer.concat(chunks);
  const header = Buffer.alloc(12);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(body.length + 4, 4);
  header.write('WEBP', 8, 'latin1');
  return Buffer.concat([header, body]);
}
const VP8L = Buffer.concat([Buffer.from('VP8L', 'latin1'), Buffer.from([6, 0, 0, 0, 0x2f, 0, 0, 0, 0, 0])]);

/** A TIFF block (as in PNG eXIf and WebP EXIF): IFD0 with Orientation and Make, then the Make text. */
function tiffWithOrientation(orientation: number): Buffer {
  const text = Buffer.from('CAM-0042 GPS 39.7137\0', 'latin1');
  const tiff = Buffer.alloc(8 + 2 + 2 * 12 + 4);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(2, 8);
  tiff.writeUInt16LE(0x010f, 10); // Make → the text
  tiff.writeUInt16LE(2, 12);
  tiff.writeUInt32LE(text.length, 14);
  tiff.writeUInt32LE(tiff.length, 18);
  tiff.writeUInt16LE(0x0112, 22); // Orientation
  tiff.writeUInt16LE(3, 24);
  tiff.writeUInt32LE(1, 26);
  tiff.writeUInt16LE(orientation, 30);
  return Buffer.concat([tiff, text]);
}

/** The Orientation of a bare TIFF block, read as a viewer would. */
function tiffOrientation(tiff: Buffer): number | undefined {
  const little = tiff.subarray(0, 2).toString('latin1') === 'II';
  const u16 = (at: number) => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const ifd = u32(4);
  for (let index = 0; index < u16(ifd); index++) {
    const at = ifd + 2 + index * 12;
    if (u16(at) === 0x0112) return u16(at + 8);
  }
  return undefined;
}

/** The chunks of a PNG: type and data, each CRC checked. */
function pngChunks(png: Buffer): Array<{ type: string; data: Buffer }> {
  const chunks: Array<{ type: string; data: Buffer }> = [];
  let offset = 8;
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const body = png.subarray(offset + 4, offset + 8 + length);
    expect(png.readUInt32BE(offset + 8 + length), `CRC of ${body.subarray(0, 4).toString('latin1')}`).to.equal(zlib.crc32(body));
    chunks.push({ type: body.subarray(0, 4).toString('latin1'), data: body.subarray(4) });
    offset += 12 + length;
  }
  return chunks;
}

function webpChunk(type: string, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(type, 0, 'latin1');
  header.writeUInt32LE(data.length, 4);
  return Buffer.concat([header, data, Buffer.alloc(data.length % 2)]);
}

/** The chunks of a WebP within its RIFF size. */
function webpChunks(image: Buffer): Array<{ type: string; data: Buffer }> {
  expect(image.readUInt32LE(4)).to.equal(image.length - 8);
  const chunks: Array<{ type: string; data: Buffer }> = [];
  let offset = 12;
  while (offset + 8 <= image.length) {
    const size = image.readUInt32LE(offset + 4);
    chunks.push({
      type: image.subarray(offset, offset + 4).toString('latin1'),
      data: image.subarray(offset + 8, offset + 8 + size),
    });
    offset += 8 + size + (size % 2);
  }
  return chunks;
}

/** Application segments a phone or editor writes that are not the picture, each carrying something identifying. */
const VENDOR_SEGMENTS = [
  // Content credentials (C2PA) in JUMBF boxes: creator, device and position assertions.
  segment(0xeb, Buffer.from('JP\0\x01\0\0\0\x01\0\0\0\x20jumbc2pa stds.exif GPSLatitude 39.7137', 'latin1')),
  segment(0xe2, Buffer.from('MPF\0II*\0 CAM-0042 depth map index', 'latin1')), // multi-picture index
  segment(0xe2, Buffer.from('FPXR\0 CAM-0042', 'latin1')), // FlashPix extension
  segment(0xe3, Buffer.from('META CAM-0042', 'latin1')),
  segment(0xe6, Buffer.from('GoPro GPS5 CAM-0042', 'latin1')),
  segment(0xe7, Buffer.from('Qualcomm Camera Attributes CAM-0042', 'latin1')),
  segment(0xec, Buffer.from('Ducky\0 CAM-0042', 'latin1')),
  segment(0xef, Buffer.from('CAM-0042', 'latin1')),
  segment(0xe0, Buffer.from('JFXX\0\x10 thumbnail of the uncropped photo GPS', 'latin1')),
];
const ICC = segment(0xe2, Buffer.concat([Buffer.from('ICC_PROFILE\0', 'latin1'), Buffer.from([1, 1, 0, 0, 0, 0x30])]));
const ADOBE = segment(0xee, Buffer.from([...Buffer.from('Adobe', 'latin1'), 0, 100, 0, 0, 0, 0, 1]));
/** A JFIF APP0 carrying a 1×1 thumbnail (3 bytes of RGB) whose pixels must not survive. */
const APP0_WITH_THUMBNAIL = segment(0xe0, [...Buffer.from('JFIF\0', 'latin1'), 1, 1, 0, 0, 1, 0, 1, 1, 1, 0x47, 0x50, 0x53]);

const hasMetadata = (bytes: Buffer): boolean => /GPS|CAM-0042|xmpmeta|ftyp|Jane|39\.71/.test(bytes.toString('latin1'));

describe('hardening: photos keep only the picture', () => {
  describe('cleanImage', () => {
    for (const littleEndian of [true, false]) {
      it(`JPEG with EXIF orientation 6 (${littleEndian ? 'little' : 'big'}-endian), XMP and a motion video after EOI → upright, nothing else`, () => {
        const input = Buffer.concat([SOI, APP0, exifApp1(6, littleEndian), XMP, DQT, SOF0, DHT, SOS, SCAN, EOI, MOTION_VIDEO]);
        expect(hasMetadata(input)).to.equal(true);
        expect(orientationOf(input)).to.equal(6);
        const cleaned = cleanImage(input);
        expect(cleaned.type).to.equal('jpeg');
        expect(hasMetadata(cleaned.bytes), cleaned.bytes.toString('latin1')).to.equal(false);
        expect(orientationOf(cleaned.bytes)).to.equal(6);
        // The orientation-only APP1 takes the EXIF's place; the rest is the picture, byte for byte, ending at EOI.
        const app1 = cleaned.bytes.subarray(
          SOI.length + APP0.length,
          cleaned.bytes.length - (DQT.length + SOF0.length + DHT.length + SOS.length + SCAN.length + EOI.length),
        );
        expect(app1[0]).to.equal(0xff);
        expect(app1[1]).to.equal(0xe1);
        expect(app1.length).to.be.below(40);
        expect(
          cleaned.bytes.equals(Buffer.concat([SOI, APP0, app1, DQT, SOF0, DHT, SOS, SCAN, EOI])),
          cleaned.bytes.toString('hex'),
        ).to.equal(true);
      });
    }

    it('JPEG without an orientation (or orientation 1) gets no APP1 at all', () => {
      const picture = [DQT, SOF0, DHT, SOS, SCAN, EOI];
      for (const exif of [exifApp1(1, true), XMP]) {
        const cleaned = cleanImage(Buffer.concat([SOI, APP0, exif, ...picture]));
        expect(cleaned.bytes.equals(Buffer.concat([SOI, APP0, ...picture]))).to.equal(true);
      }
    });

    it('progressive JPEG: every scan and the tables between them are kept; what follows EOI is dropped', () => {
      const second = Buffer.from([0x9a, 0xff, 0x00, 0xbc]);
      const picture = [DQT, SOF0, DHT, SOS, SCAN, DHT, SOS, second, EOI];
      const cleaned = cleanImage(Buffer.concat([SOI, APP0, ...picture, MOTION_VIDEO]));
      expect(cleaned.bytes.equals(Buffer.concat([SOI, APP0, ...picture]))).to.equal(true);
    });

    it('GIF: comment, plain text and XMP extensions and bytes after the trailer are dropped; looping and timing stay', () => {
      const input = Buffer.concat([
        GIF_HEADER,
        LOOP,
        GIF_COMMENT,
        GIF_XMP,
        GRAPHIC_CONTROL,
        GIF_IMAGE,
        GIF_PLAIN_TEXT,
        GRAPHIC_CONTROL,
        GIF_IMAGE,
        TRAILER,
        MOTION_VIDEO,
      ]);
      const cleaned = cleanImage(input);
      expect(cleaned.type).to.equal('gif');
      expect(hasMetadata(cleaned.bytes), cleaned.bytes.toString('latin1')).to.equal(false);
      expect(
        cleaned.bytes.equals(Buffer.concat([GIF_HEADER, LOOP, GRAPHIC_CONTROL, GIF_IMAGE, GRAPHIC_CONTROL, GIF_IMAGE, TRAILER])),
        cleaned.bytes.toString('hex'),
      ).to.equal(true);
    });

    it('GIF whose sub-blocks run past the end → 400', () => {
      const broken = Buffer.concat([GIF_HEADER, Buffer.from([0x21, 0xfe, 200, 0x41, 0x42])]);
      expect(() => cleanImage(broken))
        .to.throw()
        .with.property('status', 400);
    });

    it('PNG: bytes after IEND are dropped', () => {
      const cleaned = cleanImage(Buffer.concat([PNG, MOTION_VIDEO]));
      expect(cleaned.bytes.equals(PNG)).to.equal(true);
    });

    it('JPEG: content credentials, multi-picture, vendor segments, JFXX and the JFIF thumbnail are dropped; ICC and Adobe stay', () => {
      const picture = [DQT, SOF0, DHT, SOS, SCAN, EOI];
      const input = Buffer.concat([SOI, APP0_WITH_THUMBNAIL, ...VENDOR_SEGMENTS, ICC, ADOBE, ...picture]);
      expect(hasMetadata(input)).to.equal(true);
      const cleaned = cleanImage(input);
      expect(hasMetadata(cleaned.bytes), cleaned.bytes.toString('latin1')).to.equal(false);
      // The JFIF header stays (version, density) with a 0×0 thumbnail: the same bytes as APP0 above.
      expect(cleaned.bytes.equals(Buffer.concat([SOI, APP0, ICC, ADOBE, ...picture])), cleaned.bytes.toString('hex')).to.equal(
        true,
      );
    });

    it('PNG: text, time, content credentials and private chunks are dropped; colour and animation chunks stay; eXIf keeps only the orientation', () => {
      const [signature, ihdr, idat, iend] = [
        PNG.subarray(0, 8),
        pngChunk('IHDR', Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0])),
        pngChunk('IDAT', zlib.deflateSync(Buffer.from([0, 0xff, 0x80, 0x00]))),
        pngChunk('IEND', Buffer.alloc(0)),
      ];
      const colour = [
        pngChunk('gAMA', Buffer.from([0, 0, 0xb1, 0x8f])),
        pngChunk('iCCP', Buffer.concat([Buffer.from('icc\0\0', 'latin1'), zlib.deflateSync(Buffer.from([1, 2, 3]))])),
        pngChunk('pHYs', Buffer.from([0, 0, 0x0b, 0x13, 0, 0, 0x0b, 0x13, 1])),
      ];
      const input = Buffer.concat([
        signature,
        ihdr,
        ...colour,
        pngChunk('eXIf', tiffWithOrientation(6)),
        pngChunk('caBX', Buffer.from('jumbc2pa GPSLatitude 39.7137', 'latin1')),
        pngChunk('tEXt', Buffer.from('Comment\0Jane at home', 'latin1')),
        pngChunk('iTXt', Buffer.from('XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta/>', 'latin1')),
        pngChunk('tIME', Buffer.from([7, 0xea, 12, 1, 10, 0, 0])),
        pngChunk('prVt', Buffer.from('CAM-0042', 'latin1')),
        idat,
        iend,
        MOTION_VIDEO,
      ]);
      const cleaned = cleanImage(input);
      expect(hasMetadata(cleaned.bytes), cleaned.bytes.toString('latin1')).to.equal(false);
      const chunks = pngChunks(cleaned.bytes);
      expect(chunks.map((chunk) => chunk.type)).to.deep.equal(['IHDR', 'gAMA', 'iCCP', 'pHYs', 'eXIf', 'IDAT', 'IEND']);
      expect(tiffOrientation(chunks[4]!.data)).to.equal(6);
      expect(chunks[4]!.data.length).to.be.below(40);
      // Without an orientation worth keeping (1), no eXIf at all.
      const plain = cleanImage(Buffer.concat([signature, ihdr, pngChunk('eXIf', tiffWithOrientation(1)), idat, iend]));
      expect(plain.bytes.equals(Buffer.concat([signature, ihdr, idat, iend]))).to.equal(true);
    });

    it('WebP: XMP and unknown chunks are dropped, EXIF keeps only the orientation (its VP8X flag to match); ICC and animation stay', () => {
      const vp8x = (flags: number) => webpChunk('VP8X', Buffer.from([flags, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
      const iccp = webpChunk('ICCP', Buffer.from([1, 2, 3, 4]));
      const image = webpChunk('VP8L', Buffer.from([0x2f, 0, 0, 0, 0, 0]));
      const input = webp(
        vp8x(0x20 | 0x08 | 0x04), // ICC, EXIF and XMP flags
        iccp,
        image,
        webpChunk('EXIF', Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiffWithOrientation(8)])),
        webpChunk('XMP ', Buffer.from('<x:xmpmeta>GPS 39.71</x:xmpmeta>', 'latin1')),
        webpChunk('C2PA', Buffer.from('jumbc2pa CAM-0042', 'latin1')),
      );
      const cleaned = cleanImage(Buffer.concat([input, MOTION_VIDEO]));
      expect(hasMetadata(cleaned.bytes), cleaned.bytes.toString('latin1')).to.equal(false);
      const chunks = webpChunks(cleaned.bytes);
      expect(chunks.map((chunk) => chunk.type)).to.deep.equal(['VP8X', 'ICCP', 'VP8L', 'EXIF']);
      expect(chunks[0]!.data[0]).to.equal(0x20 | 0x08);
      expect(tiffOrientation(chunks[3]!.data)).to.equal(8);
      // No orientation worth keeping: no EXIF chunk, and its flag cleared.
      const plain = webpChunks(cleanImage(webp(vp8x(0x08), image, webpChunk('EXIF', tiffWithOrientation(1)))).bytes);
      expect(plain.map((chunk) => chunk.type)).to.deep.equal(['VP8X', 'VP8L']);
      expect(plain[0]!.data[0]).to.equal(0);
    });

    it('WebP: bytes after the RIFF size are dropped', () => {
      const image = webp(VP8L);
      const cleaned = cleanImage(Buffer.concat([image, MOTION_VIDEO]));
      expect(cleaned.bytes.equals(image), cleaned.bytes.toString('hex')).to.equal(true);
    });
  });

  describe('uploaded through POST requests and served from /media', () => {
    const code = unique('PHOTO').toUpperCase();
    before(async () => {
      await addServices([
        { service_code: code, service_name: 'Photo test', description: 'Photo privacy tests.', type: 'realtime' },
      ]);
    });

    async function uploadAndFetch(content: Buffer, filename: string, contentType: string): Promise<Buffer> {
      const answer = await postMultipart(
        `${BASE}/requests.json`,
        [
          ['api_key', ctx().apiKey],
          ['service_code', code],
          ['lat', String(LANCASTER.lat)],
          ['long', String(LANCASTER.long)],
          ['description', unique('photo')],
        ],
        [{ field: 'media', content, filename, contentType }],
      );
      expect(answer.status, answer.text.slice(0, 300)).to.equal(200);
      const id = (answer.body as Array<{ service_request_id: string }>)[0]!.service_request_id;
      const row = await request(ctx().app).get(`${BASE}/requests/${id}.json`);
      const url = (row.body as Array<{ media_url: string }>)[0]!.media_url;
      const served = await request(ctx().app)
        .get(new URL(url).pathname)
        .buffer(true)
        .parse((res, callback) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => callback(null, Buffer.concat(chunks)));
        });
      expect(served.status).to.equal(200);
      return served.body as Buffer;
    }

    it('a phone JPEG (orientation 6, GPS, motion video appended) is published upright and without the rest', async () => {
      const input = Buffer.concat([SOI, APP0, exifApp1(6, false), DQT, SOF0, DHT, SOS, SCAN, EOI, MOTION_VIDEO]);
      const served = await uploadAndFetch(input, 'phone.jpg', 'image/jpeg');
      expect(hasMetadata(served)).to.equal(false);
      expect(orientationOf(served)).to.equal(6);
      expect(served.subarray(-2).equals(EOI)).to.equal(true);
    });

    it('a JPEG with content credentials and vendor segments, and a PNG with eXIf and text, are published as the picture alone', async () => {
      const jpeg = Buffer.concat([
        SOI,
        APP0_WITH_THUMBNAIL,
        exifApp1(3, true),
        ...VENDOR_SEGMENTS,
        DQT,
        SOF0,
        DHT,
        SOS,
        SCAN,
        EOI,
      ]);
      const servedJpeg = await uploadAndFetch(jpeg, 'edited.jpg', 'image/jpeg');
      expect(hasMetadata(servedJpeg), servedJpeg.toString('latin1')).to.equal(false);
      expect(orientationOf(servedJpeg)).to.equal(3);
      const png = Buffer.concat([
        PNG.subarray(0, 33), // signature and IHDR
        pngChunk('eXIf', tiffWithOrientation(6)),
        pngChunk('tEXt', Buffer.from('Comment\0Jane at home', 'latin1')),
        PNG.subarray(33),
      ]);
      const servedPng = await uploadAndFetch(png, 'screenshot.png', 'image/png');
      expect(hasMetadata(servedPng), servedPng.toString('latin1')).to.equal(false);
      expect(pngChunks(servedPng).map((chunk) => chunk.type)).to.deep.equal(['IHDR', 'eXIf', 'IDAT', 'IEND']);
    });

    it('a GIF with a comment, XMP and trailing bytes is published without them', async () => {
      const input = Buffer.concat([GIF_HEADER, GIF_COMMENT, GIF_XMP, GRAPHIC_CONTROL, GIF_IMAGE, TRAILER, MOTION_VIDEO]);
      const served = await uploadAndFetch(input, 'animation.gif', 'image/gif');
      expect(hasMetadata(served)).to.equal(false);
      expect(served.equals(Buffer.concat([GIF_HEADER, GRAPHIC_CONTROL, GIF_IMAGE, TRAILER]))).to.equal(true);
    });
  });
});

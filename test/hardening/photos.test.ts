// Photos keep only the picture (issue 10, item 5): a GIF's comment, plain text and application extensions
// (XMP, ICC…) are dropped (the looping extension stays), bytes after the end of the image (JPEG after EOI,
// GIF after its trailer, PNG after IEND, WebP after its RIFF size — where phones append motion-photo video)
// are dropped, and a JPEG's EXIF Orientation survives alone so phone photos stay upright. Every image is
// built here byte by byte; the HTTP tests upload them and read back what /media publishes.
import zlib from 'node:zlib';
import { expect } from 'chai';
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
      const tiff = jpeg.subarray(offset + 10, offset + 2 + length);
      expect(jpeg.subarray(offset + 4, offset + 10).toString('latin1')).to.equal('Exif\0\0');
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

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([length, body, crc]);
}
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

    it('a GIF with a comment, XMP and trailing bytes is published without them', async () => {
      const input = Buffer.concat([GIF_HEADER, GIF_COMMENT, GIF_XMP, GRAPHIC_CONTROL, GIF_IMAGE, TRAILER, MOTION_VIDEO]);
      const served = await uploadAndFetch(input, 'animation.gif', 'image/gif');
      expect(hasMetadata(served)).to.equal(false);
      expect(served.equals(Buffer.concat([GIF_HEADER, GRAPHIC_CONTROL, GIF_IMAGE, TRAILER]))).to.equal(true);
    });
  });
});

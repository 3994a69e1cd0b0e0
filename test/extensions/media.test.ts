// EXT media upload on POST requests (digest §3.5, checklist 62): multipart file parts stored, published
// under /media/ as the request's media_url, with identifying metadata (EXIF, XMP, text chunks) removed.
import zlib from 'node:zlib';
import { expect } from 'chai';
import { pngChunk } from '../helpers/image-parts.js';
import request from 'supertest';
import { createApp } from '../../src/app.js';
import { Open311Error } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { cleanImage } from '../../src/media/images.js';
import { addServices } from '../helpers/build.js';
import {
  BASE,
  ctx,
  FORMATS,
  get,
  postMultipart,
  testConfig,
  unique,
  xmlToJsonShape,
  type Answer,
  type Format,
  expectErrors,
} from '../helpers/test-server.js';

type Row = Record<string, unknown>;
type Upload = { field: string; content: Buffer; filename: string; contentType: string };

// ---- image builders -----------------------------------------------------------------------------------

/** A valid minimal JPEG (SOI, APP0 JFIF, DQT, SOF, DHT, SOS…). */
const BASE_JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=',
  'base64',
);

function jpegSegment(marker: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header[0] = 0xff;
  header[1] = marker;
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

/** An APP1 EXIF segment with a little-endian TIFF header and GPS / serial text. */
const EXIF_APP1 = jpegSegment(
  0xe1,
  Buffer.concat([
    Buffer.from('Exif\0\0', 'latin1'),
    Buffer.from([0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00]),
    Buffer.from(
      'GPSLatitude 39.713670 N GPSLongitude 82.599320 W BodySerialNumber CAM-0042 DateTimeOriginal 2026:11:24 08:00:00',
      'latin1',
    ),
  ]),
);
const XMP_APP1 = jpegSegment(
  0xe1,
  Buffer.from('http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><exif:GPSLatitude>39,42.82N</exif:GPSLatitude></x:xmpmeta>', 'latin1'),
);
const IPTC_APP13 = jpegSegment(0xed, Buffer.from('Photoshop 3.0\x008BIM\x04\x04\0\0\0\0\0\x10GPS city Lancaster', 'latin1'));
const COMMENT = jpegSegment(0xfe, Buffer.from('GPS 39.7137,-82.5993 taken by Exif-writer', 'latin1'));

/** BASE_JPEG with `segments` inserted right after SOI. */
const jpegWith = (...segments: Buffer[]): Buffer => Buffer.concat([BASE_JPEG.subarray(0, 2), ...segments, BASE_JPEG.subarray(2)]);

/** BASE_JPEG padded with a harmless APP2 segment to `size` bytes (a valid JPEG of that size). */
/** A valid JPEG of exactly `size` bytes: padded with an ICC profile segment (which cleaning keeps). */
function jpegOfSize(size: number): Buffer {
  const icc = Buffer.from('ICC_PROFILE\0', 'latin1');
  const padding = size - BASE_JPEG.length - 4 - icc.length;
  return jpegWith(jpegSegment(0xe2, Buffer.concat([icc, Buffer.alloc(padding, 0x20)])));
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const IHDR = pngChunk('IHDR', Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0])); // 1×1 RGB, 8 bits
const IDAT = pngChunk('IDAT', zlib.deflateSync(Buffer.from([0, 0xff, 0x80, 0x00])));
const IEND = pngChunk('IEND', Buffer.alloc(0));
const BASE_PNG = Buffer.concat([PNG_SIGNATURE, IHDR, IDAT, IEND]);
const PNG_METADATA = [
  pngChunk('tEXt', Buffer.from('Comment\0GPSLatitude 39.7137', 'latin1')),
  pngChunk(
    'eXIf',
    Buffer.concat([
      Buffer.from([0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08]),
      Buffer.from('GPS Exif serial CAM-0042', 'latin1'),
    ]),
  ),
  pngChunk('zTXt', Buffer.concat([Buffer.from('Author\0\0', 'latin1'), zlib.deflateSync(Buffer.from('GPS resident name'))])),
  pngChunk('iTXt', Buffer.from('XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta>GPS</x:xmpmeta>', 'latin1')),
  pngChunk('tIME', Buffer.from([0x07, 0xea, 11, 24, 8, 0, 0])),
];
/** BASE_PNG with the metadata chunks between IHDR and IDAT (tEXt and eXIf) and after IDAT (the rest). */
const PNG_WITH_METADATA = Buffer.concat([
  PNG_SIGNATURE,
  IHDR,
  PNG_METADATA[0]!,
  PNG_METADATA[1]!,
  IDAT,
  PNG_METADATA[2]!,
  PNG_METADATA[3]!,
  PNG_METADATA[4]!,
  IEND,
]);

function riffChunk(type: string, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(type, 0, 'latin1');
  header.writeUInt32LE(data.length, 4);
  return Buffer.concat([header, data, data.length % 2 === 1 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

function webp(...chunks: Buffer[]): Buffer {
  const body = Buffer.concat(chunks);
  const header = Buffer.alloc(12);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(body.length + 4, 4);
  header.write('WEBP', 8, 'latin1');
  return Buffer.concat([header, body]);
}

/** VP8X with the given flags for a 1×1 canvas. */
const vp8x = (flags: number): Buffer => riffChunk('VP8X', Buffer.from([flags, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
const VP8L = riffChunk('VP8L', Buffer.from([0x2f, 0x00, 0x00, 0x00, 0x00])); // odd size: padded
const WEBP_EXIF = riffChunk('EXIF', Buffer.from('Exif\0\0MM\0*GPS serial', 'latin1')); // odd size too
const WEBP_XMP = riffChunk('XMP ', Buffer.from('<x:xmpmeta>GPSLatitude</x:xmpmeta>', 'latin1'));
const ALPHA = 0x10;
const EXIF_FLAG = 0x08;
const XMP_FLAG = 0x04;

const GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');

const hasMetadataText = (bytes: Buffer): boolean => /Exif|GPS|xmpmeta|CAM-0042|Photoshop/.test(bytes.toString('latin1'));

// ---- HTTP helpers -------------------------------------------------------------------------------------

const jpegFile = (field: string, content: Buffer = jpegWith(EXIF_APP1)): Upload => ({
  field,
  content,
  filename: 'photo.jpg',
  contentType: 'image/jpeg',
});

/** GET a path of the app as raw bytes. */
async function fetchBytes(
  path: string,
): Promise<{ status: number; type: string; bytes: Buffer; headers: Record<string, string> }> {
  const response = await request(ctx().app)
    .get(path)
    .buffer(true)
    .parse((res, callback) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => callback(null, Buffer.concat(chunks)));
    });
  return {
    status: response.status,
    type: String(response.headers['content-type'] ?? ''),
    bytes: response.body as Buffer,
    headers: response.headers as Record<string, string>,
  };
}

function createdId(answer: Answer): string {
  expect(answer.status, answer.text.slice(0, 500)).to.equal(200);
  const id = (answer.body as Array<{ service_request_id?: string }>)[0]?.service_request_id;
  expect(id, answer.text).to.be.a('string');
  return id!;
}

async function readRequest(id: string, format: Format = 'json', extensions = false): Promise<Row> {
  const answer = await get(`${BASE}/requests/${id}.${format}${extensions ? '?extensions=true' : ''}`);
  expect(answer.status).to.equal(200);
  return (answer.body as Row[])[0]!;
}

/** The path part of a media URL, checked to be under PUBLIC_URL/media/. */
function mediaPath(url: unknown): string {
  expect(url, 'media_url').to.be.a('string');
  expect(url as string).to.match(/^http:\/\/311\.test\.example\/media\/\S+$/);
  return new URL(url as string).pathname;
}

// ---- tests ----------------------------------------------------------------------------------------------

describe('EXT media: cleanImage removes identifying metadata (unit)', () => {
  it('the builders make what the tests think (the bases carry no metadata)', () => {
    expect(hasMetadataText(BASE_JPEG)).to.equal(false);
    expect(hasMetadataText(BASE_PNG)).to.equal(false);
    expect(hasMetadataText(jpegWith(EXIF_APP1))).to.equal(true);
    expect(hasMetadataText(PNG_WITH_METADATA)).to.equal(true);
  });

  it('JPEG: drops APP1 EXIF and XMP, APP13 IPTC and COM, keeps everything else byte for byte', () => {
    const cleaned = cleanImage(jpegWith(EXIF_APP1, XMP_APP1, IPTC_APP13, COMMENT));
    expect(cleaned.type).to.equal('jpeg');
    expect(hasMetadataText(cleaned.bytes)).to.equal(false);
    expect(cleaned.bytes.equals(BASE_JPEG)).to.equal(true);
  });

  it('JPEG: the ICC profile (APP2) stays; a clean JPEG comes back unchanged', () => {
    const padded = jpegOfSize(200);
    expect(cleanImage(padded).bytes.equals(padded)).to.equal(true);
    expect(cleanImage(BASE_JPEG).bytes.equals(BASE_JPEG)).to.equal(true);
    expect(
      cleanImage(jpegWith(EXIF_APP1, jpegSegment(0xe2, Buffer.from('ICC_PROFILE\0')))).bytes.equals(
        jpegWith(jpegSegment(0xe2, Buffer.from('ICC_PROFILE\0'))),
      ),
    ).to.equal(true);
  });

  it('PNG: drops tEXt, eXIf, zTXt, iTXt and tIME, keeps IHDR, IDAT and IEND byte for byte', () => {
    const cleaned = cleanImage(PNG_WITH_METADATA);
    expect(cleaned.type).to.equal('png');
    expect(hasMetadataText(cleaned.bytes)).to.equal(false);
    expect(cleaned.bytes.equals(BASE_PNG)).to.equal(true);
  });

  it('WebP: drops EXIF and XMP chunks, clears their VP8X flags (keeps the others) and fixes the RIFF size', () => {
    const input = webp(vp8x(ALPHA | EXIF_FLAG | XMP_FLAG), VP8L, WEBP_EXIF, WEBP_XMP);
    const cleaned = cleanImage(input);
    expect(cleaned.type).to.equal('webp');
    expect(hasMetadataText(cleaned.bytes)).to.equal(false);
    expect(cleaned.bytes.equals(webp(vp8x(ALPHA), VP8L))).to.equal(true);
    expect(cleaned.bytes.readUInt32LE(4)).to.equal(cleaned.bytes.length - 8);
    expect(cleaned.bytes[20]! & (EXIF_FLAG | XMP_FLAG)).to.equal(0);
    expect(cleaned.bytes[20]! & ALPHA).to.equal(ALPHA);
  });

  it('WebP: metadata chunks before the image data are dropped too', () => {
    const cleaned = cleanImage(webp(vp8x(EXIF_FLAG | XMP_FLAG), WEBP_XMP, WEBP_EXIF, VP8L));
    expect(cleaned.bytes.equals(webp(vp8x(0), VP8L))).to.equal(true);
  });

  it('GIF is accepted as is', () => {
    const cleaned = cleanImage(GIF);
    expect(cleaned.type).to.equal('gif');
    expect(cleaned.bytes.equals(GIF)).to.equal(true);
  });

  for (const [name, bytes] of [
    ['text', Buffer.from('hello, I am not an image')],
    ['a PDF', Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n')],
    ['an empty buffer', Buffer.alloc(0)],
    ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')],
  ] as const) {
    it(`${name} → 400 Open311Error`, () => {
      expect(() => cleanImage(bytes))
        .to.throw(Open311Error)
        .with.property('status', 400);
    });
  }

  it('damaged images → 400 Open311Error', () => {
    // A JPEG segment running past the end of the file.
    const truncated = jpegWith(EXIF_APP1).subarray(0, 12);
    expect(() => cleanImage(truncated))
      .to.throw(Open311Error)
      .with.property('status', 400);
    // A PNG whose chunk claims more bytes than there are.
    const badPng = Buffer.concat([PNG_SIGNATURE, IHDR.subarray(0, 10)]);
    expect(() => cleanImage(Buffer.concat([badPng, Buffer.alloc(8)])))
      .to.throw(Open311Error)
      .with.property('status', 400);
    // A WebP chunk longer than the file.
    const badWebp = webp(riffChunk('VP8L', Buffer.alloc(4)));
    badWebp.writeUInt32LE(1000, 16);
    expect(() => cleanImage(badWebp))
      .to.throw(Open311Error)
      .with.property('status', 400);
  });
});

describe('EXT media upload on POST requests (checklist 62)', () => {
  const code = unique('MEDIA').toUpperCase();
  const fields = (): Array<[string, string]> => [
    ['api_key', ctx().apiKey],
    ['service_code', code],
    ['lat', '39.7137'],
    ['long', '-82.5993'],
    ['description', unique('media test')],
  ];
  const countRequests = async (): Promise<number> => {
    const { db, config } = ctx();
    const row = (await db('service_requests as r')
      .join('services as s', 's.id', 'r.service_id')
      .where({ 's.service_code': code, 's.jurisdiction_id': config.jurisdictionId })
      .count({ count: '*' })
      .first()) as { count: string | number };
    return Number(row.count);
  };

  before(async () => {
    await addServices([
      { service_code: code, service_name: 'Media test', description: 'Rows of the media tests.', type: 'realtime' },
    ]);
  });

  for (const format of FORMATS) {
    describe(format, () => {
      for (const field of ['media', 'media[]', 'photo1']) {
        it(`a JPEG in a part named ${field} → 200; media_url serves it without its EXIF/GPS segment`, async () => {
          const id = createdId(await postMultipart(`${BASE}/requests.${format}`, fields(), [jpegFile(field)]));
          const row = await readRequest(id, format);
          const served = await fetchBytes(mediaPath(row.media_url));
          expect(served.status).to.equal(200);
          expect(served.type).to.match(/^image\/jpeg/);
          expect(served.bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))).to.equal(true);
          expect(served.bytes.includes(Buffer.from('Exif'))).to.equal(false);
          expect(served.bytes.includes(Buffer.from('GPS'))).to.equal(false);
          expect(served.bytes.equals(BASE_JPEG)).to.equal(true);
          expect(served.headers['access-control-allow-origin']).to.equal('*');
          expect(served.headers['x-content-type-options']).to.equal('nosniff');
        });
      }

      it('a PNG with tEXt and eXIf chunks is served as image/png without them', async () => {
        const id = createdId(
          await postMultipart(`${BASE}/requests.${format}`, fields(), [
            { field: 'media', content: PNG_WITH_METADATA, filename: 'shot.png', contentType: 'image/png' },
          ]),
        );
        const served = await fetchBytes(mediaPath((await readRequest(id, format)).media_url));
        expect(served.status).to.equal(200);
        expect(served.type).to.match(/^image\/png/);
        expect(hasMetadataText(served.bytes)).to.equal(false);
        expect(served.bytes.equals(BASE_PNG)).to.equal(true);
      });

      it('a WebP is served as image/webp without its EXIF and XMP chunks; the type comes from the bytes, not the name', async () => {
        const content = webp(vp8x(EXIF_FLAG | XMP_FLAG), VP8L, WEBP_EXIF, WEBP_XMP);
        const id = createdId(
          await postMultipart(`${BASE}/requests.${format}`, fields(), [
            { field: 'photo1', content, filename: 'shot.jpg', contentType: 'image/jpeg' },
          ]),
        );
        const served = await fetchBytes(mediaPath((await readRequest(id, format)).media_url));
        expect(served.type).to.match(/^image\/webp/);
        expect(served.bytes.equals(webp(vp8x(0), VP8L))).to.equal(true);
      });

      it('several files: the first is media_url, all are in extended_attributes.media_urls, in order', async () => {
        const id = createdId(
          await postMultipart(`${BASE}/requests.${format}`, fields(), [
            jpegFile('photo1'),
            { field: 'photo2', content: PNG_WITH_METADATA, filename: 'b.png', contentType: 'image/png' },
            { field: 'photo3', content: GIF, filename: 'c.gif', contentType: 'image/gif' },
          ]),
        );
        const row = await readRequest(id, format, true);
        const urls = (row.extended_attributes as Row).media_urls as string[];
        expect(urls).to.have.length(3);
        expect(row.media_url).to.equal(urls[0]);
        const types: string[] = [];
        for (const url of urls) {
          const served = await fetchBytes(mediaPath(url));
          expect(served.status).to.equal(200);
          types.push(served.type.split(';')[0]!);
        }
        expect(types).to.deep.equal(['image/jpeg', 'image/png', 'image/gif']);
        expect(new Set(urls).size).to.equal(3);
      });

      it('files win over a media_url sent in the same POST', async () => {
        const posted = `https://photos.example.org/${unique('ignored')}.jpg`;
        const id = createdId(
          await postMultipart(`${BASE}/requests.${format}`, [...fields(), ['media_url', posted]], [jpegFile('media')]),
        );
        const row = await readRequest(id, format, true);
        mediaPath(row.media_url);
        expect((row.extended_attributes as Row).media_urls).not.to.include(posted);
      });

      it('a media_url without files is kept as before (multipart without a file is an ordinary POST)', async () => {
        const posted = `https://photos.example.org/${unique('kept')}.jpg`;
        const id = createdId(await postMultipart(`${BASE}/requests.${format}`, [...fields(), ['media_url', posted]]));
        expect((await readRequest(id, format)).media_url).to.equal(posted);
        const none = createdId(await postMultipart(`${BASE}/requests.${format}`, fields()));
        expect((await readRequest(none, format)).media_url).to.equal(null);
      });

      for (const [name, upload] of [
        [
          'a text file',
          {
            field: 'media',
            content: Buffer.from('just some text, not a picture'),
            filename: 'notes.txt',
            contentType: 'text/plain',
          },
        ],
        [
          'a PDF named .jpg',
          {
            field: 'media',
            content: Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\n'),
            filename: 'photo.jpg',
            contentType: 'image/jpeg',
          },
        ],
        [
          'a damaged JPEG',
          { field: 'photo1', content: jpegWith(EXIF_APP1).subarray(0, 20), filename: 'photo.jpg', contentType: 'image/jpeg' },
        ],
      ] as const) {
        it(`${name} → 400 errors body, and no request is stored`, async () => {
          const before = await countRequests();
          expectErrors(await postMultipart(`${BASE}/requests.${format}`, fields(), [upload]), 400);
          expect(await countRequests()).to.equal(before);
        });
      }

      it('one bad file among good ones refuses the whole POST (400)', async () => {
        const before = await countRequests();
        expectErrors(
          await postMultipart(`${BASE}/requests.${format}`, fields(), [
            jpegFile('photo1'),
            { field: 'photo2', content: Buffer.from('nope'), filename: 'x.png', contentType: 'image/png' },
          ]),
          400,
        );
        expect(await countRequests()).to.equal(before);
      });

      it('5 files are accepted; more than 5 → 413 errors body', async () => {
        const five = Array.from({ length: 5 }, (_, index) => jpegFile(`photo${index + 1}`));
        const id = createdId(await postMultipart(`${BASE}/requests.${format}`, fields(), five));
        expect(((await readRequest(id, format, true)).extended_attributes as Row).media_urls).to.have.length(5);
        const before = await countRequests();
        const six = Array.from({ length: 6 }, (_, index) => jpegFile(`photo${index + 1}`));
        expectErrors(await postMultipart(`${BASE}/requests.${format}`, fields(), six), 413);
        expect(await countRequests()).to.equal(before);
      });

      /** POST one media file to an app whose MEDIA_MAX_BYTES is 2048. */
      async function postToSmallLimit(content: Buffer): Promise<Answer> {
        const { app } = createApp({
          config: testConfig({ MEDIA_MAX_BYTES: '2048' }),
          db: ctx().db,
          logger: createLogger('silent'),
        });
        let call = request(app).post(`${BASE}/requests.${format}`);
        for (const [name, value] of fields()) call = call.field(name, value);
        const response = await call.attach('media', content, { filename: 'big.jpg', contentType: 'image/jpeg' });
        const type = String(response.headers['content-type'] ?? '');
        const body = type.startsWith('application/json') ? JSON.parse(response.text) : await xmlToJsonShape(response.text);
        return { status: response.status, headers: response.headers as Record<string, string>, text: response.text, body };
      }

      it('a file larger than MEDIA_MAX_BYTES → 413 errors body, nothing stored (an app with a 2048-byte limit)', async () => {
        const before = await countRequests();
        expectErrors(await postToSmallLimit(jpegOfSize(3000)), 413);
        expectErrors(await postToSmallLimit(jpegOfSize(2049)), 413);
        expect(await countRequests()).to.equal(before);
        // Under the limit it is fine there, and the same 3000-byte file passes the default (10 MiB) limit.
        createdId(await postToSmallLimit(jpegOfSize(2000)));
        createdId(await postMultipart(`${BASE}/requests.${format}`, fields(), [jpegFile('media', jpegOfSize(3000))]));
      });

      it('a file of exactly MEDIA_MAX_BYTES is accepted (the limit is the largest accepted size)', async () => {
        createdId(await postToSmallLimit(jpegOfSize(2048)));
      });

      it('an upload without a valid key → 403 (the key is checked before anything is stored)', async () => {
        const before = await countRequests();
        const answer = await postMultipart(
          `${BASE}/requests.${format}`,
          fields().filter(([name]) => name !== 'api_key'),
          [jpegFile('media')],
        );
        expectErrors(answer, 403);
        expect(await countRequests()).to.equal(before);
      });
    });
  }

  it('an unknown media file → 404', async () => {
    const answer = await fetchBytes(`/media/2026/01/${unique('missing')}.jpg`);
    expect(answer.status).to.equal(404);
  });
});

// Uploads cannot exhaust memory (issue 10, item 10): a key sent in the query string or Authorization is
// checked before the body is read (an invalid or revoked one gets 403 while the client is still uploading),
// and the body bytes all requests hold in memory — files and the text of forms — are bounded by
// UPLOAD_MEMORY_BUDGET_BYTES: a request that would go over it is answered 503 + Retry-After at once, never a
// 500, and its bytes are given back when each answer is done.
// Raw sockets send the bodies piece by piece, so the server's answers can be seen before a body is complete.
import net from 'node:net';
import { expect } from 'chai';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createKey, revokeKey } from '../../src/store/api-keys-store.js';
import { LANCASTER } from '../helpers/build.js';
import { BASE, ctx, testConfig, unique } from '../helpers/test-server.js';
import { checkErrorsBody, listen, type Listening, type RawAnswer } from './support.js';

const BOUNDARY = 'upload-budget-boundary';

/** A valid JPEG of `size` bytes (padding in an APP2 segment): every byte of it is a file byte to hold. */
function jpegOfSize(size: number): Buffer {
  const picture = Buffer.from([
    ...[0xff, 0xdb, 0, 67, 0],
    ...new Array<number>(64).fill(1),
    ...[0xff, 0xc0, 0, 11, 8, 0, 1, 0, 1, 1, 1, 0x11, 0],
    ...[0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0, 0x12, 0x34],
    ...[0xff, 0xd9],
  ]);
  const segments: Buffer[] = [Buffer.from([0xff, 0xd8])];
  let left = size - 2 - picture.length;
  while (left > 0) {
    const payload = Math.min(left - 4, 65533);
    const header = Buffer.from([0xff, 0xe2, 0, 0]);
    header.writeUInt16BE(payload + 2, 2);
    segments.push(header, Buffer.alloc(payload, 0x20));
    left -= payload + 4;
  }
  return Buffer.concat([...segments, picture]);
}

function multipart(fields: Record<string, string>, file: Buffer): { head: Buffer; file: Buffer; tail: Buffer } {
  const parts = Object.entries(fields).map(
    ([name, value]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return {
    head: Buffer.from(
      `${parts.join('')}--${BOUNDARY}\r\nContent-Disposition: form-data; name="media"; filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
    ),
    file,
    tail: Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  };
}

/** A POST on its own socket whose body is written when the test says so; `answer` settles when the server answers. */
class SlowPost {
  readonly answer: Promise<RawAnswer>;
  answered = false;
  private readonly socket: net.Socket;

  constructor(
    port: number,
    path: string,
    headers: Record<string, string>,
    contentLength: number,
    contentType = `multipart/form-data; boundary=${BOUNDARY}`,
  ) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('error', () => undefined); // the server may close while the rest of the body is unsent
    const head = [
      `POST ${path} HTTP/1.1`,
      'Host: 127.0.0.1',
      `Content-Type: ${contentType}`,
      `Content-Length: ${contentLength}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      '',
      '',
    ].join('\r\n');
    this.socket.write(head);
    this.answer = new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      this.socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        const raw = Buffer.concat(chunks);
        const end = raw.indexOf('\r\n\r\n');
        if (end < 0) return;
        const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
        const headersOut: Record<string, string> = {};
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':');
          headersOut[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        const length = Number(headersOut['content-length'] ?? 0);
        const body = raw.subarray(end + 4);
        if (body.length < length) return;
        this.answered = true;
        const bytes = body.subarray(0, length);
        resolve({ status: Number(lines[0]!.split(' ')[1]), headers: headersOut, bytes, text: bytes.toString('utf8') });
      });
      this.socket.on('close', () => reject(new Error('the connection closed without an answer')));
    });
  }

  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) resolve();
      else this.socket.write(bytes, () => resolve());
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('hardening: upload bytes in memory are bounded', function () {
  this.timeout(60_000);
  const FILE_BYTES = 600 * 1024;
  const BUDGET = 2 * 1024 * 1024;
  let app: App;
  let server: Listening;
  const fields = (): Record<string, string> => ({
    service_code: 'SIDEWALK',
    lat: String(LANCASTER.lat),
    long: String(LANCASTER.long),
    description: unique('upload budget'),
  });

  before(async () => {
    app = createApp({
      config: testConfig({ MEDIA_MAX_BYTES: String(1024 * 1024), UPLOAD_MEMORY_BUDGET_BYTES: String(BUDGET) }),
      db: ctx().db,
      logger: createLogger('silent'),
    });
    server = await listen(app.app);
  });
  after(async () => {
    await server.close();
  });

  it('UPLOAD_MEMORY_BUDGET_BYTES below MEDIA_MAX_BYTES plus 1 MiB of form text stops start-up with a message', () => {
    expect(() => loadConfig({ MEDIA_MAX_BYTES: '2000000', UPLOAD_MEMORY_BUDGET_BYTES: '1000000' })).to.throw(
      /UPLOAD_MEMORY_BUDGET_BYTES/,
    );
    expect(() => loadConfig({ MEDIA_MAX_BYTES: '2000000', UPLOAD_MEMORY_BUDGET_BYTES: '2000000' })).to.throw(
      /UPLOAD_MEMORY_BUDGET_BYTES \(2000000\) must be at least MEDIA_MAX_BYTES \(2000000\) plus 1 MiB/,
    );
    expect(
      loadConfig({ MEDIA_MAX_BYTES: '2000000', UPLOAD_MEMORY_BUDGET_BYTES: String(2000000 + 1024 * 1024) })
        .uploadMemoryBudgetBytes,
    ).to.equal(2000000 + 1024 * 1024);
  });

  for (const [where, place] of [
    ['query string', 'query'],
    ['Authorization header', 'header'],
  ] as const) {
    for (const kind of ['invalid', 'revoked'] as const) {
      it(`an ${kind} key in the ${where} → 403 before the body is read (a 50 MiB upload, 64 KiB of it sent)`, async () => {
        let key = `o311_${'x'.repeat(32)}`;
        if (kind === 'revoked') {
          const created = await createKey(ctx().db, unique('revoked uploader'));
          expect(await revokeKey(ctx().db, created.record.id)).to.equal(1);
          key = created.key;
        }
        const body = multipart(fields(), Buffer.alloc(0));
        const total = body.head.length + 50 * 1024 * 1024 + body.tail.length;
        const post = new SlowPost(
          server.port,
          `${BASE}/requests.json${place === 'query' ? `?api_key=${key}` : ''}`,
          place === 'header' ? { Authorization: `Bearer ${key}` } : {},
          total,
        );
        try {
          await post.write(body.head);
          await post.write(Buffer.alloc(64 * 1024, 0x20));
          const answer = await post.answer;
          expect(answer.status, answer.text).to.equal(403);
          await checkErrorsBody(answer, 'json', 'early 403');
          expect(answer.headers.connection).to.equal('close');
          expect(app.context.uploadBudget.inUse).to.equal(0);
        } finally {
          post.close();
        }
      });
    }
  }

  it('the same upload with a valid key in the query string is read and stored (the early check only refuses)', async () => {
    const body = multipart(fields(), jpegOfSize(FILE_BYTES));
    const post = new SlowPost(
      server.port,
      `${BASE}/requests.json?api_key=${ctx().apiKey}`,
      {},
      body.head.length + body.file.length + body.tail.length,
    );
    try {
      await post.write(Buffer.concat([body.head, body.file, body.tail]));
      const answer = await post.answer;
      expect(answer.status, answer.text).to.equal(200);
      await waitFor('the budget to be given back', () => app.context.uploadBudget.inUse === 0);
    } finally {
      post.close();
    }
  });

  it(`6 concurrent ${FILE_BYTES / 1024} KiB uploads with a ${BUDGET / 1024 / 1024} MiB budget: the budget holds, the rest get 503 + Retry-After at once, none 500, all given back`, async () => {
    const posts: SlowPost[] = [];
    const admitted: SlowPost[] = [];
    const refused: SlowPost[] = [];
    const bodies = Array.from({ length: 6 }, () => multipart({ ...fields(), api_key: ctx().apiKey }, jpegOfSize(FILE_BYTES)));
    try {
      for (const body of bodies) {
        const post = new SlowPost(
          server.port,
          `${BASE}/requests.json`,
          {},
          body.head.length + body.file.length + body.tail.length,
        );
        posts.push(post);
        const before = app.context.uploadBudget.inUse;
        // All of the file but its last bytes: the server holds what it read while the upload is unfinished.
        await post.write(Buffer.concat([body.head, body.file.subarray(0, FILE_BYTES - 1024)]));
        await waitFor('the server to hold the upload or refuse it', () => {
          return post.answered || app.context.uploadBudget.inUse >= before + FILE_BYTES - 64 * 1024;
        });
        expect(app.context.uploadBudget.inUse).to.be.at.most(BUDGET);
        (post.answered ? refused : admitted).push(post);
      }
      expect(admitted.length, 'uploads admitted within the budget').to.be.within(2, 3);
      expect(refused.length, 'uploads refused').to.equal(6 - admitted.length);
      for (const post of refused) {
        const answer = await post.answer;
        expect(answer.status, answer.text).to.equal(503);
        expect(answer.headers['retry-after']).to.match(/^\d+$/);
        expect(answer.headers.connection).to.equal('close');
        const [error] = await checkErrorsBody(answer, 'json', 'budget 503');
        expect(error!.description).to.match(/uploads/);
      }
      // The admitted ones finish their bodies and are stored.
      for (const post of admitted) {
        const body = bodies[posts.indexOf(post)]!;
        await post.write(Buffer.concat([body.file.subarray(FILE_BYTES - 1024), body.tail]));
        const answer = await post.answer;
        expect(answer.status, answer.text).to.equal(200);
      }
      await waitFor('every reserved byte to be given back', () => app.context.uploadBudget.inUse === 0);
      // With the budget free again, an upload goes through.
      const again = multipart({ ...fields(), api_key: ctx().apiKey }, jpegOfSize(FILE_BYTES));
      const last = new SlowPost(
        server.port,
        `${BASE}/requests.json`,
        {},
        again.head.length + again.file.length + again.tail.length,
      );
      posts.push(last);
      await last.write(Buffer.concat([again.head, again.file, again.tail]));
      expect((await last.answer).status).to.equal(200);
    } finally {
      for (const post of posts) post.close();
    }
    await waitFor('every reserved byte to be given back', () => app.context.uploadBudget.inUse === 0);
  });

  it('the text of forms counts too: slow 900 KB urlencoded forms hold the budget, the next form, multipart text field or notifications form gets 503 at once', async () => {
    const TEXT_BYTES = 900_000;
    const FORM = 'application/x-www-form-urlencoded';
    /** A valid create whose body is `total` bytes, padded by a parameter the server ignores. */
    const formBody = (total: number): Buffer => {
      const head = new URLSearchParams({ ...fields(), api_key: ctx().apiKey }).toString() + '&padding=';
      return Buffer.concat([Buffer.from(head), Buffer.alloc(total - head.length, 0x61)]);
    };
    const posts: SlowPost[] = [];
    try {
      const held: Array<{ post: SlowPost; body: Buffer }> = [];
      for (let index = 0; index < 2; index++) {
        const body = formBody(1_000_000);
        const post = new SlowPost(server.port, `${BASE}/requests.json`, {}, body.length, FORM);
        posts.push(post);
        const before = app.context.uploadBudget.inUse;
        await post.write(body.subarray(0, TEXT_BYTES));
        await waitFor('the server to hold the form', () => app.context.uploadBudget.inUse >= before + TEXT_BYTES - 64 * 1024);
        expect(post.answered).to.equal(false);
        held.push({ post, body });
      }
      // The budget (2 MiB) holds 1.8 MB of unfinished forms: neither another form nor a multipart text field fits.
      const form = formBody(1_000_000);
      const refusedForm = new SlowPost(server.port, `${BASE}/requests.json`, {}, form.length, FORM);
      const text = Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="description"\r\n\r\n${'b'.repeat(TEXT_BYTES)}\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="service_code"\r\n\r\nSIDEWALK\r\n`,
      );
      const refusedText = new SlowPost(server.port, `${BASE}/requests.xml`, {}, text.length + 1024);
      // A public notifications form (an HTML page answers it) counts the same.
      const follow = Buffer.from(`email=a%40example.com&padding=${'c'.repeat(TEXT_BYTES)}`);
      const refusedFollow = new SlowPost(server.port, '/requests/1/follow', {}, follow.length + 1024, FORM);
      posts.push(refusedForm, refusedText, refusedFollow);
      await refusedForm.write(form.subarray(0, TEXT_BYTES));
      await refusedText.write(text);
      const followSent = Date.now();
      await refusedFollow.write(follow);
      const followAnswer = await refusedFollow.answer;
      // At once, not by REQUEST_TIMEOUT_MS (30 s) giving up on the unfinished body.
      expect(Date.now() - followSent).to.be.below(10_000);
      expect(followAnswer.status, followAnswer.text.slice(0, 300)).to.equal(503);
      expect(followAnswer.headers['retry-after']).to.match(/^\d+$/);
      expect(followAnswer.headers['content-type']).to.match(/^text\/html/);
      for (const [post, format] of [
        [refusedForm, 'json'],
        [refusedText, 'xml'],
      ] as const) {
        const answer = await post.answer;
        expect(answer.status, answer.text).to.equal(503);
        expect(answer.headers['retry-after']).to.match(/^\d+$/);
        expect(answer.headers.connection).to.equal('close');
        const [error] = await checkErrorsBody(answer, format, 'text budget 503');
        expect(error!.description).to.match(/uploads/);
      }
      expect(app.context.uploadBudget.inUse).to.be.at.most(BUDGET);
      // The held forms finish and are stored; every byte is given back.
      for (const { post, body } of held) {
        await post.write(body.subarray(TEXT_BYTES));
        const answer = await post.answer;
        expect(answer.status, answer.text).to.equal(200);
      }
    } finally {
      for (const post of posts) post.close();
    }
    await waitFor('every reserved byte to be given back', () => app.context.uploadBudget.inUse === 0);
  });

  it('a client that disconnects mid-upload gives its bytes back', async () => {
    const body = multipart({ ...fields(), api_key: ctx().apiKey }, jpegOfSize(FILE_BYTES));
    const post = new SlowPost(server.port, `${BASE}/requests.json`, {}, body.head.length + body.file.length + body.tail.length);
    await post.write(Buffer.concat([body.head, body.file.subarray(0, FILE_BYTES / 2)]));
    await waitFor('the server to hold part of the upload', () => app.context.uploadBudget.inUse > 0);
    post.close();
    await waitFor('the bytes to be given back', () => app.context.uploadBudget.inUse === 0);
  });
});

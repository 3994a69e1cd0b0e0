// The ceiling reference of the benchmark: a bare node:http server that answers each scenario URL with the
// exact bytes (and Content-Type, and ETag) our server returned for it, without any work. What no server
// on this machine and this Node can beat; our req/s divided by its req/s is the share of the ceiling reached.
// The harness registers answers just before each scenario: PUT /__ceiling with
// {"method", "url", "status", "contentType", "etag", "body" (base64)}. A GET with a matching If-None-Match
// gets a bare 304, as from our server. Unknown URLs: 404.
// Environment: PORT (default 8091), HOST (default 127.0.0.1).
import http from 'node:http';

interface Answer {
  status: number;
  contentType: string;
  etag: string | undefined;
  body: Buffer;
}

const answers = new Map<string, Answer>();

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (req.method === 'PUT' && req.url === '/__ceiling') {
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        method: string;
        url: string;
        status: number;
        contentType: string;
        etag?: string;
        body: string;
      };
      answers.set(`${input.method} ${input.url}`, {
        status: input.status,
        contentType: input.contentType,
        etag: input.etag,
        body: Buffer.from(input.body, 'base64'),
      });
      res.writeHead(204).end();
      return;
    }
    const answer = answers.get(`${req.method} ${req.url}`);
    if (!answer) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not registered');
      return;
    }
    if (answer.etag && req.headers['if-none-match'] === answer.etag) {
      res.writeHead(304, { ETag: answer.etag }).end();
      return;
    }
    const headers: http.OutgoingHttpHeaders = { 'Content-Type': answer.contentType, 'Content-Length': answer.body.length };
    if (answer.etag) headers.ETag = answer.etag;
    res.writeHead(answer.status, headers).end(answer.body);
  });
});

const port = Number(process.env.PORT ?? 8091);
server.listen(port, process.env.HOST ?? '127.0.0.1', () => {
  process.stderr.write(`ceiling-server listening on ${port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));

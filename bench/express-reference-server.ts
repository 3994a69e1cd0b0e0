// The fixed-cost reference of the benchmark: a bare Express app (no middleware at all) answering each registered
// URL with the exact bytes and the same headers our server sent for it. Our req/s over its req/s is what our
// middleware stack (security headers, metrics, logging, request ids, CORS, ETag, routing, validation) costs on
// top of Express itself: 1.00 would be free.
// The harness registers answers: PUT /__reference with {"method", "url", "status", "headers", "body" (base64)}.
// A GET with a matching If-None-Match gets a bare 304. Unknown URLs: 404.
// Environment: PORT (default 8092), HOST (default 127.0.0.1).
import express from 'express';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const answers = new Map<string, Answer>();
const app = express();
app.disable('x-powered-by');
app.set('etag', false);

app.put('/__reference', express.json({ limit: '50mb' }), (req, res) => {
  const input = req.body as { method: string; url: string; status: number; headers: Record<string, string>; body: string };
  answers.set(`${input.method} ${input.url}`, {
    status: input.status,
    headers: input.headers,
    body: Buffer.from(input.body, 'base64'),
  });
  res.status(204).end();
});
app.get('/__ready', (_req, res) => {
  res.status(204).end();
});
app.use((req, res) => {
  const answer = answers.get(`${req.method} ${req.originalUrl}`);
  if (!answer) {
    res.status(404).type('text/plain').send('not registered');
    return;
  }
  res.set(answer.headers);
  if (answer.headers.etag && req.headers['if-none-match'] === answer.headers.etag) {
    res.status(304).end();
    return;
  }
  res.status(answer.status).end(answer.body);
});

const port = Number(process.env.PORT ?? 8092);
const server = app.listen(port, process.env.HOST ?? '127.0.0.1', () => {
  process.stderr.write(`express-reference-server listening on ${port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));

// The "typical server" reference of the benchmark: express + pg (a plain pg.Pool) + JSON.stringify of the
// selected rows, serving the same URLs as the benchmark scenarios. Straightforward, not deliberately slowed:
// what a first implementation usually looks like (no validation library, no response cache, no PostGIS
// index-aware predicates, OFFSET paging, a plain INSERT on POST).
// Environment: DATABASE_URL (required), PORT (default 8090), HOST (default 127.0.0.1).
import { createHash } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import pg from 'pg';
import { Builder } from 'xml2js';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  process.stderr.write('naive-server: DATABASE_URL is required\n');
  process.exit(2);
}
// Named, so that the benchmark can wait for its queries still running after a measured run.
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10, application_name: 'open311-bench-naive' });
const JURISDICTION = process.env.OPEN311_JURISDICTION_ID || 'lancasterohio.gov';

const app = express();
app.use(express.urlencoded({ extended: true }));

const REQUEST_COLUMNS = `
  r.id AS service_request_id, r.status, r.status_notes, s.service_name, s.service_code, r.description,
  r.agency_responsible, r.service_notice, r.requested_datetime, r.updated_datetime, r.expected_datetime,
  r.address, r.address_id, r.zipcode, ST_Y(r.location::geometry) AS lat, ST_X(r.location::geometry) AS long,
  r.media_urls[1] AS media_url`;

function send(_req: Request, res: Response, format: string, root: string, item: string, rows: unknown[]): void {
  if (format === 'xml') {
    const xml = new Builder({ rootName: root }).buildObject({
      [item]: rows.map((row) =>
        Object.fromEntries(
          Object.entries(row as Record<string, unknown>).map(([key, value]) => [
            key,
            value instanceof Date ? value.toISOString() : (value ?? ''),
          ]),
        ),
      ),
    });
    res.type('application/xml').send(xml);
    return;
  }
  res.type('application/json').send(JSON.stringify(rows));
}

app.get('/open311/v2/services.:format', async (req, res) => {
  const { rows } = await pool.query(
    `SELECT service_code, service_name, description,
       EXISTS (SELECT 1 FROM service_attributes a WHERE a.service_id = services.id) AS metadata,
       type, array_to_string(keywords, ',') AS keywords, service_group AS "group"
     FROM services WHERE jurisdiction_id = $1 AND active ORDER BY display_order, service_code`,
    [JURISDICTION],
  );
  send(req, res, String(req.params.format), 'services', 'service', rows);
});

app.get('/open311/v2/requests.:format', async (req, res) => {
  const q = req.query as Record<string, string | undefined>;
  const where: string[] = ['r.jurisdiction_id = $1', `r.requested_datetime >= now() - interval '90 days'`];
  const params: unknown[] = [JURISDICTION];
  const add = (sql: string, ...values: unknown[]): void => {
    let text = sql;
    for (const value of values) {
      params.push(value);
      text = text.replace('?', `$${params.length}`);
    }
    where.push(text);
  };
  if (q.service_code) add('s.service_code = ?', q.service_code);
  if (q.status) add('r.status = ?', q.status);
  if (q.lat && q.long && q.radius) {
    add('ST_Distance(r.location, ST_MakePoint(?, ?)::geography) <= ?', Number(q.long), Number(q.lat), Number(q.radius));
  }
  if (q.bbox) {
    const [minLong, minLat, maxLong, maxLat] = q.bbox.split(',').map(Number);
    add('ST_X(r.location::geometry) BETWEEN ? AND ?', minLong, maxLong);
    add('ST_Y(r.location::geometry) BETWEEN ? AND ?', minLat, maxLat);
  }
  const pageSize = Math.min(Number(q.page_size ?? 1000) || 1000, 1000);
  const page = Math.max(Number(q.page ?? 1) || 1, 1);
  params.push(pageSize, (page - 1) * pageSize);
  const { rows } = await pool.query(
    `SELECT ${REQUEST_COLUMNS}
     FROM service_requests r JOIN services s ON s.id = r.service_id
     WHERE ${where.join(' AND ')}
     ORDER BY r.requested_datetime DESC, r.id DESC
     LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  send(req, res, String(req.params.format), 'service_requests', 'request', rows);
});

app.post('/open311/v2/requests.:format', async (req, res) => {
  const body = req.body as Record<string, unknown>;
  const key = typeof body.api_key === 'string' ? body.api_key : '';
  const found = await pool.query('SELECT id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL', [
    createHash('sha256').update(key).digest('hex'),
  ]);
  if (found.rowCount === 0) {
    res.status(403).json([{ code: 403, description: 'Invalid api_key' }]);
    return;
  }
  const lat = body.lat === undefined ? null : Number(body.lat);
  const long = body.long === undefined ? null : Number(body.long);
  const { rows } = await pool.query(
    `INSERT INTO service_requests (jurisdiction_id, service_id, description, address, location, attributes, api_key_id, service_notice)
     SELECT $1, s.id, $3, $4, CASE WHEN $5::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($6, $5), 4326)::geography END, $7, $8, s.service_notice
     FROM services s WHERE s.jurisdiction_id = $1 AND s.service_code = $2
     RETURNING id AS service_request_id, service_notice`,
    [
      JURISDICTION,
      body.service_code,
      body.description ?? null,
      body.address_string ?? null,
      lat,
      long,
      JSON.stringify(body.attribute ?? {}),
      found.rows[0].id,
    ],
  );
  if (rows.length === 0) {
    res.status(404).json([{ code: 404, description: 'Unknown service_code' }]);
    return;
  }
  send(req, res, String(req.params.format), 'service_requests', 'request', rows);
});

app.use((error: Error, _req: Request, res: Response, _next: express.NextFunction) => {
  res.status(500).json([{ code: 500, description: error.message }]);
});

const port = Number(process.env.PORT ?? 8090);
app.listen(port, process.env.HOST ?? '127.0.0.1', () => {
  process.stderr.write(`naive-server listening on ${port}\n`);
});
process.on('SIGTERM', () => {
  void pool.end().finally(() => process.exit(0));
});

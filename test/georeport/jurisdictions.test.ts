import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { ctx, FORMATS, xmlToJsonShape } from '../helpers/test-server.js';

describe('jurisdiction_id on a multi-jurisdiction store (digest §1.7)', () => {
  for (const format of FORMATS) {
    it(`requires jurisdiction_id once a second jurisdiction exists, and 404s a foreign one (${format})`, async () => {
      const { db, config } = ctx();
      await db('jurisdictions').insert({ jurisdiction_id: 'second.example', name: 'Second City', time_zone: 'America/Chicago' });
      try {
        // A fresh app: the shared one caches the jurisdiction list for a few seconds.
        const { app } = createApp({ config, db, logger: createLogger('silent') });
        const parse = async (response: request.Response) =>
          format === 'json' ? JSON.parse(response.text) : xmlToJsonShape(response.text);

        const missing = await request(app).get(`/open311/v2/services.${format}`);
        expect(missing.status).to.equal(400);
        expect(await parse(missing)).to.deep.equal([
          { code: 400, description: 'jurisdiction_id was not provided: this server serves several jurisdictions.' },
        ]);
        const empty = await request(app).get(`/open311/v2/services.${format}?jurisdiction_id=`);
        expect(empty.status).to.equal(400);

        const ours = await request(app).get(`/open311/v2/services.${format}?jurisdiction_id=${config.jurisdictionId}`);
        expect(ours.status).to.equal(200);
        expect((await parse(ours)) as unknown[]).to.have.length.of.at.least(8);
        const second = await request(app).get(`/open311/v2/services.${format}?jurisdiction_id=second.example`);
        expect(second.status).to.equal(200);
        expect(await parse(second)).to.deep.equal([]);

        const foreign = await request(app).get(`/open311/v2/requests.${format}?jurisdiction_id=nowhere.example`);
        expect(foreign.status).to.equal(404);
        expect(await parse(foreign)).to.deep.equal([
          { code: 404, description: 'jurisdiction_id nowhere.example was not found.' },
        ]);
      } finally {
        await db('jurisdictions').where({ jurisdiction_id: 'second.example' }).delete();
      }
    });
  }
});

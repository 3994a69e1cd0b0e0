import request from 'supertest';
import { createApp } from '../src/app.js';
import { createLogger } from '../src/logger.js';
import { ctx } from '../test/helpers/test-server.js';
describe('probe', () => {
  it('probe', async () => {
    const { app } = createApp({ config: ctx().config, db: ctx().db, logger: createLogger('error') });
    for (const p of ['/open311/v2/services/A%00B.json', '/open311/v2/requests.json?start_date=9999-12-31T23:59:59Z', '/open311/v2/requests.json?start_date=9999-10-01T23:59:59Z&end_date=9999-12-31']) {
      const r = await request(app).get(p);
      console.log(p, r.status, r.text);
    }
    const r = await request(app).post('/open311/v2/requests.json').type('form').send(`api_key=${ctx().apiKey}&service_code=SIDEWALK&address_string=a%00b`);
    console.log(r.status, r.text);
  });
});

import { expect } from 'chai';
import { createRequest } from '../helpers/build.js';
import { assertSchema, BASE, FORMATS, get } from '../helpers/test-server.js';

describe('smoke', () => {
  for (const format of FORMATS) {
    it(`serves the service list and a created request (${format})`, async () => {
      const services = await get(`${BASE}/services.${format}`);
      expect(services.status).to.equal(200);
      assertSchema('services.json', services.body);
      const id = await createRequest();
      const one = await get(`${BASE}/requests/${id}.${format}`);
      expect(one.status).to.equal(200);
      assertSchema('service-requests.json', one.body);
      expect((one.body as Array<{ service_request_id: string }>)[0]!.service_request_id).to.equal(id);
    });
  }
});

// Root hooks: one store per test run — the embedded PGlite (in memory) by default, or PostgreSQL + PostGIS
// when DATABASE_URL is set — migrated and seeded with the demo catalog once. Tests make their own rows.
import { closeTestContext, openTestContext } from './helpers/test-server.js';

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(120_000);
    await openTestContext();
  },
  async afterAll() {
    await closeTestContext();
  },
};

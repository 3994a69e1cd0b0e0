// Knex seed: the demo catalog for the configured jurisdiction. Safe to run twice (an unchanged service
// is left alone; nothing is duplicated).
import type { Knex } from 'knex';
import { loadConfig } from '../src/config.js';
import { seedDemoCatalog } from '../src/store/seed.js';

export async function seed(knex: Knex): Promise<void> {
  await seedDemoCatalog(knex, loadConfig());
}

// Knex CLI configuration, built by the same code as the app so both use one store definition.
import { loadConfig } from './src/config.js';
import { knexConfig } from './src/store/db.js';

const config = loadConfig();
export default knexConfig({ databaseUrl: config.databaseUrl, dataDirectory: config.dataDirectory });

// Serves spec/openapi.json with this server's URL filled in.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GEOREPORT_BASE_PATH, type Config } from '../config.js';

export const OPENAPI_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'spec', 'openapi.json');

let cached: string | undefined;

export function openApiDocument(config: Config): string {
  if (cached === undefined) {
    const document = JSON.parse(fs.readFileSync(OPENAPI_PATH, 'utf8')) as Record<string, unknown>;
    document.servers = [{ url: `${config.publicUrl}${GEOREPORT_BASE_PATH}`, description: 'This server' }];
    cached = JSON.stringify(document);
  }
  return cached;
}

// Catalog and routing administration (staff API, admin keys), one module per concern: services
// (definitions), import-export (the whole catalog), agencies, and areas (service areas, routing rules,
// availability). Importers use this one entry point.
export type { Actor } from './catalog/shared.js';
export * from './catalog/services.js';
export * from './catalog/import-export.js';
export * from './catalog/agencies.js';
export * from './catalog/areas.js';

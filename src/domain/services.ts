// Discovery, the service list and service definitions.
import { notFound } from '../errors.js';
import type { Db } from '../store/db.js';
import * as catalogStore from '../store/catalog-store.js';
import type { Discovery, Jurisdiction, Service, ServiceDefinition } from './types.js';

export const GEOREPORT_SPECIFICATION = 'http://wiki.open311.org/GeoReport_v2';

/** When any jurisdiction's catalog last changed: the discovery changeset. */
export function catalogChangedAnywhere(db: Db): Promise<Date | undefined> {
  return catalogStore.catalogChangeset(db);
}

/** The discovery document for a catalog last changed at `changed`. */
export function discoveryDocument(
  changed: Date | undefined,
  settings: { contact: string; keyService: string; endpointUrl: string; endpointType: 'production' | 'test' },
): Discovery {
  // The changeset must change whenever the service list or a definition does, and never be in the future.
  const changeset = new Date(Math.min((changed ?? new Date(0)).getTime(), Date.now()));
  return {
    changeset,
    contact: settings.contact,
    key_service: settings.keyService,
    endpoints: [
      {
        specification: GEOREPORT_SPECIFICATION,
        url: settings.endpointUrl,
        changeset,
        type: settings.endpointType,
        formats: ['text/xml', 'application/json'],
      },
    ],
  };
}

/** When this jurisdiction's catalog last changed (read fresh: it drives Last-Modified and 304s). */
export async function catalogChangedAt(db: Db, jurisdiction: Jurisdiction): Promise<Date | undefined> {
  return catalogStore.catalogChangeset(db, jurisdiction.jurisdiction_id);
}

/** The active services; with a point, only those offered there. */
export async function listServices(db: Db, jurisdiction: Jurisdiction, point?: catalogStore.ServicePoint): Promise<Service[]> {
  return catalogStore.listServices(db, jurisdiction.jurisdiction_id, point);
}

export async function getServiceDefinition(db: Db, jurisdiction: Jurisdiction, serviceCode: string): Promise<ServiceDefinition> {
  const definition = await catalogStore.getServiceDefinition(db, jurisdiction.jurisdiction_id, serviceCode);
  if (!definition) throw notFound(`service_code ${serviceCode} was not found.`);
  return definition;
}

// Words the messages and pages need in each language, beside the templates: status names and alert wording.
import { STATUS_LABELS, type DetailedStatus } from '../domain/workflow.js';
import type { Language } from './address.js';

// English is the workflow's own wording (the console's too); the other languages translate each status of it.
const STATUS: Record<Language, Record<DetailedStatus, string>> = {
  en: STATUS_LABELS,
  es: {
    submitted: 'Recibida',
    acknowledged: 'Confirmada',
    in_progress: 'En curso',
    on_hold: 'En espera',
    closed: 'Cerrada',
    duplicate: 'Cerrada por duplicada',
    rejected: 'Rechazada',
  },
};

export const statusLabel = (language: Language, detailedStatus: string): string =>
  (Object.hasOwn(STATUS[language], detailedStatus) ? STATUS[language][detailedStatus as DetailedStatus] : undefined) ??
  detailedStatus;

export const frequencyLabel = (language: Language, frequency: string): string =>
  language === 'es'
    ? frequency === 'daily'
      ? 'un resumen diario'
      : 'un correo por solicitud'
    : frequency === 'daily'
      ? 'a daily digest'
      : 'one e-mail per request';

/** How an alert's area reads in its messages. */
export function areaLabel(
  language: Language,
  area: { service_area_name: string } | { lat: number; long: number; radius_meters: number },
): string {
  if ('service_area_name' in area) return language === 'es' ? `en ${area.service_area_name}` : `in ${area.service_area_name}`;
  const point = `${area.lat.toFixed(5)}, ${area.long.toFixed(5)}`;
  return language === 'es' ? `a menos de ${area.radius_meters} m de ${point}` : `within ${area.radius_meters} m of ${point}`;
}

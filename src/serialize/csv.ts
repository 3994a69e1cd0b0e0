// EXT GeoReport Bulk (digest §3.11): requests as RFC 4180 CSV with the bulk field names, for analysts
// and city integrations. Rows are written batch by batch; nothing buffers the whole export.
import { formatDateTime } from '../domain/datetime.js';

export const BULK_COLUMNS = [
  'service_request_id',
  'requested_datetime',
  'updated_datetime',
  'closed_date',
  'status_description',
  'status_notes',
  'source',
  'service_name',
  'service_code',
  'service_subtype',
  'description',
  'agency_responsible',
  'address',
  'lat',
  'long',
] as const;

export interface BulkRow {
  service_request_id: string;
  requested_datetime: Date;
  updated_datetime: Date | null;
  closed_datetime: Date | null;
  detailed_status: string;
  status: string;
  status_notes: string | null;
  channel: string | null;
  service_name: string;
  service_code: string;
  description: string | null;
  agency_responsible: string | null;
  address: string | null;
  lat: number | null;
  long: number | null;
}

// The bulk proposal's words for the workflow state (Open, Processing, Hold, Closed).
const STATUS_DESCRIPTIONS: Record<string, string> = {
  submitted: 'Open',
  acknowledged: 'Open',
  in_progress: 'Processing',
  on_hold: 'Hold',
  closed: 'Closed',
  duplicate: 'Closed',
  rejected: 'Closed',
};

function field(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Free text that a spreadsheet would run as a formula (=, +, -, @) is prefixed with an apostrophe. */
function text(value: string | null): string {
  if (value === null) return '';
  return field(/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
}

export function csvHeader(): string {
  return `${BULK_COLUMNS.join(',')}\r\n`;
}

export function csvRows(rows: BulkRow[], timeZone: string): string {
  const date = (value: Date | null): string => (value ? formatDateTime(value, timeZone) : '');
  let out = '';
  for (const row of rows) {
    out +=
      [
        field(row.service_request_id),
        date(row.requested_datetime),
        date(row.updated_datetime),
        date(row.status === 'closed' ? (row.closed_datetime ?? row.updated_datetime) : null),
        STATUS_DESCRIPTIONS[row.detailed_status] ?? (row.status === 'closed' ? 'Closed' : 'Open'),
        text(row.status_notes),
        text(row.channel),
        text(row.service_name),
        text(row.service_code),
        '',
        text(row.description),
        text(row.agency_responsible),
        text(row.address),
        row.lat === null ? '' : String(row.lat),
        row.long === null ? '' : String(row.long),
      ].join(',') + '\r\n';
  }
  return out;
}

/** A small table as RFC 4180 CSV (the console's trend downloads): numbers as they are, text made formula-safe. */
export function csvTable(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null>>): string {
  const cell = (value: string | number | null): string => (typeof value === 'number' ? String(value) : text(value));
  return [header.map((name) => text(name)).join(','), ...rows.map((row) => row.map(cell).join(','))].join('\r\n') + '\r\n';
}

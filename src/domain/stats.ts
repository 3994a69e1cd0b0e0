// Trends for staff (/api/v1/stats): the rules and defaults of each report. The counting itself happens in
// SQL (src/store/stats-store.ts); this module reads and checks the parameters and shapes the answers.
import { badRequest } from '../errors.js';
import type { Db } from '../store/db.js';
import * as statsStore from '../store/stats-store.js';
import type {
  StatsBacklogInput,
  StatsHotspotsInput,
  StatsInput,
  StatsOverdueInput,
  StatsTimeToCloseInput,
} from '../types/generated.js';
import { endOfDay, parseDateTime } from './datetime.js';
import type { JurisdictionRegistry } from './jurisdictions.js';
import type { Jurisdiction } from './types.js';

const DAY = 24 * 3600 * 1000;

/** The window when none is given: the 30 days before now. */
export const DEFAULT_WINDOW_DAYS = 30;
/** Longest window any report accepts (about ten years). */
export const MAX_WINDOW_DAYS = 3660;
/** At most this many day buckets (so at most this many days with interval=day). */
export const MAX_DAY_BUCKETS = 1000;

export const GROUP_BYS = ['service_code', 'group', 'status', 'detailed_status', 'agency'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];
export const INTERVALS = ['day', 'week', 'month', 'none'] as const;
export type Interval = (typeof INTERVALS)[number];
export type BucketInterval = Exclude<Interval, 'none'>;

export const DEFAULT_GROUP_BY: GroupBy = 'service_code';
export const DEFAULT_INTERVAL: BucketInterval = 'day';
export const DEFAULT_CELL_METRES = 250;
export const DEFAULT_MIN_COUNT = 2;
export const MAX_CELLS = 500;

interface CommonInput {
  jurisdiction_id?: string;
  start_date?: string;
  end_date?: string;
  service_code?: string[];
}

export interface Window {
  start: Date;
  end: Date;
}

/**
 * The requested_datetime (or closed_datetime) window: end_date defaults to now, start_date to 30 days before
 * the end. Zone-less values are read in the jurisdiction's time zone; a date-only end_date takes the whole day.
 */
export function resolveWindow(input: CommonInput, timeZone: string, now: Date, maxDays = MAX_WINDOW_DAYS): Window {
  const startParsed = input.start_date === undefined ? undefined : parseDateTime(input.start_date, timeZone);
  const endParsed = input.end_date === undefined ? undefined : parseDateTime(input.end_date, timeZone);
  const end = endParsed ? (endParsed.dateOnly ? endOfDay(endParsed.date, timeZone) : endParsed.date) : now;
  const start = startParsed ? startParsed.date : new Date(end.getTime() - DEFAULT_WINDOW_DAYS * DAY);
  if (start > end) throw badRequest('start_date must not be after end_date.');
  if (end.getTime() - start.getTime() > maxDays * DAY) {
    throw badRequest(
      `The span from start_date to end_date may not exceed ${maxDays} days${maxDays === MAX_DAY_BUCKETS ? ' with interval=day' : ''}; ask for a shorter window or a longer interval.`,
    );
  }
  return { start, end };
}

const maxDaysFor = (interval: Interval): number => (interval === 'day' ? MAX_DAY_BUCKETS : MAX_WINDOW_DAYS);

interface Scope {
  jurisdiction: Jurisdiction;
  filter: statsStore.StatsFilter;
}

function filterOf(jurisdiction: Jurisdiction, input: CommonInput): statsStore.StatsFilter {
  return {
    jurisdiction_id: jurisdiction.jurisdiction_id,
    time_zone: jurisdiction.time_zone,
    ...(input.service_code ? { service_codes: input.service_code } : {}),
  };
}

async function prepare(jurisdictions: JurisdictionRegistry, input: CommonInput): Promise<Scope> {
  const jurisdiction = await jurisdictions.resolve(input.jurisdiction_id);
  return { jurisdiction, filter: filterOf(jurisdiction, input) };
}

export interface Report<T> {
  document: T;
  timeZone: string;
}

const scopeFields = (jurisdiction: Jurisdiction, input: CommonInput) => ({
  jurisdiction_id: jurisdiction.jurisdiction_id,
  time_zone: jurisdiction.time_zone,
  service_code: input.service_code ?? null,
});

// ---------------------------------------------------------------------------------------------- counts

export interface CountsDocument {
  jurisdiction_id: string;
  time_zone: string;
  group_by: GroupBy;
  interval: Interval;
  start_date: Date;
  end_date: Date;
  service_code: string[] | null;
  total: number;
  rows: statsStore.CountRow[];
}

/** GET /api/v1/stats: requests requested in the window, per bucket and key. */
export async function counts(
  db: Db,
  jurisdictions: JurisdictionRegistry,
  input: StatsInput,
  now: Date,
): Promise<Report<CountsDocument>> {
  const groupBy = input.group_by ?? DEFAULT_GROUP_BY;
  const interval = input.interval ?? DEFAULT_INTERVAL;
  const { jurisdiction, filter } = await prepare(jurisdictions, input);
  const window = resolveWindow(input, jurisdiction.time_zone, now, maxDaysFor(interval));
  const rows = await statsStore.countRequests(db, filter, window, groupBy, interval);
  return {
    timeZone: jurisdiction.time_zone,
    document: {
      ...scopeFields(jurisdiction, input),
      group_by: groupBy,
      interval,
      start_date: window.start,
      end_date: window.end,
      total: rows.reduce((sum, row) => sum + row.count, 0),
      rows,
    },
  };
}

// --------------------------------------------------------------------------------------------- backlog

export interface BacklogDocument {
  jurisdiction_id: string;
  time_zone: string;
  interval: BucketInterval;
  start_date: Date;
  end_date: Date;
  service_code: string[] | null;
  rows: statsStore.BacklogRow[];
}

/** GET /api/v1/stats/backlog: the requests open at the end of each bucket. */
export async function backlog(
  db: Db,
  jurisdictions: JurisdictionRegistry,
  input: StatsBacklogInput,
  now: Date,
): Promise<Report<BacklogDocument>> {
  const interval = input.interval ?? DEFAULT_INTERVAL;
  const { jurisdiction, filter } = await prepare(jurisdictions, input);
  const window = resolveWindow(input, jurisdiction.time_zone, now, maxDaysFor(interval));
  const rows = await statsStore.backlog(db, filter, window, interval);
  return {
    timeZone: jurisdiction.time_zone,
    document: { ...scopeFields(jurisdiction, input), interval, start_date: window.start, end_date: window.end, rows },
  };
}

// ---------------------------------------------------------------------------------------- time to close

export interface TimeToCloseDocument {
  jurisdiction_id: string;
  time_zone: string;
  start_date: Date;
  end_date: Date;
  service_code: string[] | null;
  overall: statsStore.CloseTimes;
  rows: Array<statsStore.CloseTimes & { service_code: string }>;
}

/** GET /api/v1/stats/time-to-close: median and 90th percentile hours per service, closed in the window. */
export async function timeToClose(
  db: Db,
  jurisdictions: JurisdictionRegistry,
  input: StatsTimeToCloseInput,
  now: Date,
): Promise<Report<TimeToCloseDocument>> {
  const { jurisdiction, filter } = await prepare(jurisdictions, input);
  const window = resolveWindow(input, jurisdiction.time_zone, now);
  const { overall, rows } = await statsStore.timeToClose(db, filter, window);
  return {
    timeZone: jurisdiction.time_zone,
    document: { ...scopeFields(jurisdiction, input), start_date: window.start, end_date: window.end, overall, rows },
  };
}

// --------------------------------------------------------------------------------------------- overdue

export interface OverdueDocument {
  jurisdiction_id: string;
  time_zone: string;
  as_of: Date;
  service_code: string[] | null;
  total: number;
  by_service_code: Array<{ service_code: string; count: number }>;
  by_agency: Array<{ agency: string | null; count: number }>;
}

/** GET /api/v1/stats/overdue: open requests past their expected_datetime, now. */
export async function overdue(
  db: Db,
  jurisdictions: JurisdictionRegistry,
  input: StatsOverdueInput,
  now: Date,
): Promise<Report<OverdueDocument>> {
  const { jurisdiction, filter } = await prepare(jurisdictions, input);
  const result = await statsStore.overdue(db, filter, now);
  return { timeZone: jurisdiction.time_zone, document: { ...scopeFields(jurisdiction, input), as_of: now, ...result } };
}

// -------------------------------------------------------------------------------------------- hotspots

export interface HotspotFeature {
  type: 'Feature';
  id: string;
  geometry: { type: 'Polygon'; coordinates: number[][][] };
  properties: { cell_id: string; count: number; open: number };
}

export interface HotspotsDocument {
  type: 'FeatureCollection';
  features: HotspotFeature[];
  // Foreign members (RFC 7946 §6.1): what was asked.
  jurisdiction_id: string;
  time_zone: string;
  start_date: Date;
  end_date: Date;
  service_code: string[] | null;
  cell: number;
  min_count: number;
  limit: number;
  /** True when more cells qualified than `limit`. */
  truncated: boolean;
}

const roundCoordinate = (value: number): number => Math.round(value * 1e7) / 1e7;

/** GET /api/v1/stats/hotspots: grid cells of `cell` metres with their request counts, busiest first. */
export async function hotspots(
  db: Db,
  jurisdictions: JurisdictionRegistry,
  input: StatsHotspotsInput,
  now: Date,
): Promise<Report<HotspotsDocument>> {
  const cell = input.cell ?? DEFAULT_CELL_METRES;
  const minCount = input.min_count ?? DEFAULT_MIN_COUNT;
  const limit = input.limit ?? MAX_CELLS;
  const { jurisdiction, filter } = await prepare(jurisdictions, input);
  const window = resolveWindow(input, jurisdiction.time_zone, now);
  const cells = await statsStore.hotspots(db, filter, window, { cell_metres: cell, min_count: minCount, limit: limit + 1 });
  const features = cells.slice(0, limit).map((row): HotspotFeature => {
    const [west, south, east, north] = [row.west, row.south, row.east, row.north].map(roundCoordinate) as [
      number,
      number,
      number,
      number,
    ];
    return {
      type: 'Feature',
      id: row.cell_id,
      // Exterior ring counter-clockwise (RFC 7946 §3.1.6).
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [west, south],
            [east, south],
            [east, north],
            [west, north],
            [west, south],
          ],
        ],
      },
      properties: { cell_id: row.cell_id, count: row.count, open: row.open },
    };
  });
  return {
    timeZone: jurisdiction.time_zone,
    document: {
      type: 'FeatureCollection',
      features,
      ...scopeFields(jurisdiction, input),
      start_date: window.start,
      end_date: window.end,
      cell,
      min_count: minCount,
      limit,
      truncated: cells.length > limit,
    },
  };
}

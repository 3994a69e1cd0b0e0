// Dates in and out. Output: W3C-DTF with seconds and the jurisdiction's offset (2024-05-06T14:03:22-04:00).
// Input: the forms the standard allows (digest §1.5), zone-less values read in the jurisdiction's time zone.

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = offsetFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    offsetFormatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Offset of `timeZone` from UTC at the instant `ms`, in minutes (east positive). */
function computeOffsetMinutes(ms: number, timeZone: string): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(ms));
  const get = (type: string): number => Number(parts.find((part) => part.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

// Offsets only change at DST transitions, which fall on whole quarter hours: cache per quarter hour so a
// 1000-row list formats its dates without calling Intl for each one.
const offsetCache = new Map<string, number>();
const QUARTER_HOUR = 15 * 60 * 1000;

export function offsetMinutes(ms: number, timeZone: string): number {
  const key = `${timeZone}|${Math.floor(ms / QUARTER_HOUR)}`;
  let offset = offsetCache.get(key);
  if (offset === undefined) {
    offset = computeOffsetMinutes(ms, timeZone);
    if (offsetCache.size > 100_000) offsetCache.clear();
    offsetCache.set(key, offset);
  }
  return offset;
}

const pad2 = (value: number): string => (value < 10 ? `0${value}` : String(value));

/** 2024-05-06T14:03:22-04:00 — whole seconds, offset of the time zone at that instant ("Z" for UTC). */
export function formatDateTime(date: Date, timeZone: string): string {
  const ms = Math.floor(date.getTime() / 1000) * 1000;
  const offset = timeZone === 'UTC' ? 0 : offsetMinutes(ms, timeZone);
  const local = new Date(ms + offset * 60000);
  const year = local.getUTCFullYear();
  const body =
    `${year < 1000 ? String(year).padStart(4, '0') : year}-${pad2(local.getUTCMonth() + 1)}-${pad2(local.getUTCDate())}` +
    `T${pad2(local.getUTCHours())}:${pad2(local.getUTCMinutes())}:${pad2(local.getUTCSeconds())}`;
  if (offset === 0) return `${body}Z`;
  const sign = offset < 0 ? '-' : '+';
  const absolute = Math.abs(offset);
  return `${body}${sign}${pad2(Math.floor(absolute / 60))}:${pad2(absolute % 60)}`;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

export interface ParsedDateTime {
  date: Date;
  /** True when only a calendar date was given (YYYY-MM-DD). */
  dateOnly: boolean;
}

/**
 * Parses the input forms the standard allows: YYYY-MM-DDThh:mm:ssTZD, with fractions, without seconds,
 * and YYYY-MM-DD. A zone-less value is read in `timeZone`. Returns undefined when the text is not a date.
 */
export function parseDateTime(input: string, timeZone: string): ParsedDateTime | undefined {
  // A "+" sent unencoded in a query string arrives as a space: "…T00:00:00 01:00" means "+01:00".
  const text = input.trim().replace(/ (\d{2}:?\d{2})$/, '+$1');
  const match = DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  const millisecond = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  // Years outside 1000–9000 are typing mistakes, and windows computed from them would leave what the
  // database can store.
  if (year < 1000 || year > 9000) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const wallClock = Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
  const check = new Date(wallClock);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return undefined; // e.g. 2024-02-30
  let ms: number;
  if (zone === undefined) {
    // Wall-clock time in the jurisdiction: find the offset in force then (two passes settle DST edges).
    let offset = offsetMinutes(wallClock, timeZone);
    offset = offsetMinutes(wallClock - offset * 60000, timeZone);
    ms = wallClock - offset * 60000;
  } else if (zone === 'Z' || zone === 'z') {
    ms = wallClock;
  } else {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const zoneHours = Number(digits.slice(0, 2));
    const zoneMinutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (zoneHours > 14 || zoneMinutes > 59) return undefined;
    ms = wallClock - sign * (zoneHours * 60 + zoneMinutes) * 60000;
  }
  if (!Number.isFinite(ms)) return undefined;
  return { date: new Date(ms), dateOnly: h === undefined };
}

/**
 * The same wall-clock time `days` calendar days later in `timeZone`: across a daylight-saving change that is
 * an hour more or less than `days` × 24 h.
 */
export function addCalendarDays(date: Date, days: number, timeZone: string): Date {
  const local = date.getTime() + offsetMinutes(date.getTime(), timeZone) * 60000 + days * 86400000;
  const guess = local - offsetMinutes(date.getTime(), timeZone) * 60000;
  return new Date(local - offsetMinutes(guess, timeZone) * 60000);
}

/** The last millisecond of the calendar day that `date` starts in `timeZone` (for inclusive date-only ends). */
export function endOfDay(start: Date, timeZone: string): Date {
  const nextDay = new Date(start.getTime() + 36 * 3600 * 1000);
  const local = new Date(nextDay.getTime() + offsetMinutes(nextDay.getTime(), timeZone) * 60000);
  const label = `${local.getUTCFullYear()}-${pad2(local.getUTCMonth() + 1)}-${pad2(local.getUTCDate())}`;
  const parsed = parseDateTime(label, timeZone);
  return new Date((parsed?.date.getTime() ?? start.getTime() + 86400000) - 1);
}

// How the console writes dates, durations and SLA states: in the jurisdiction's time zone, in words a person
// reads at a glance ("overdue by 2 days", "due in 5 hours").
import { type SafeHtml, html } from '../html.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

export function formatDateTime(value: Date | string | null | undefined, timeZone: string): string {
  if (value === null || value === undefined) return '';
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, dateStyle: 'medium', timeStyle: 'short' });
    formatters.set(timeZone, formatter);
  }
  return formatter.format(date);
}

/** A duration in its largest sensible unit: "45 minutes", "5 hours", "3 days". */
export function formatDuration(milliseconds: number): string {
  const minutes = Math.max(1, Math.round(Math.abs(milliseconds) / 60_000));
  const plural = (count: number, unit: string): string => `${count} ${unit}${count === 1 ? '' : 's'}`;
  if (minutes < 90) return plural(minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (hours < 48) return plural(hours, 'hour');
  return plural(Math.round(hours / 24), 'day');
}

export interface SlaState {
  kind: 'overdue' | 'due' | 'closed' | 'none';
  text: string;
}

/** The service-level state of a request: overdue by, due in, closed (on time or late), or no target. */
export function slaOf(
  request: { status: string; expected_datetime: Date | null; closed_datetime?: Date | null },
  now: Date,
): SlaState {
  const expected = request.expected_datetime ? new Date(request.expected_datetime) : undefined;
  if (request.status === 'closed') {
    if (expected && request.closed_datetime && new Date(request.closed_datetime) > expected)
      return {
        kind: 'closed',
        text: `Closed ${formatDuration(new Date(request.closed_datetime).getTime() - expected.getTime())} late`,
      };
    return { kind: 'closed', text: 'Closed' };
  }
  if (!expected) return { kind: 'none', text: 'No target' };
  const left = expected.getTime() - now.getTime();
  if (left < 0) return { kind: 'overdue', text: `Overdue by ${formatDuration(left)}` };
  return { kind: 'due', text: `Due in ${formatDuration(left)}` };
}

export function slaTag(state: SlaState): SafeHtml {
  return html`<span class="tag tag-${state.kind}">${state.text}</span>`;
}

export const truncate = (text: string | null | undefined, length: number): string =>
  !text ? '' : text.length > length ? `${text.slice(0, length - 1)}…` : text;

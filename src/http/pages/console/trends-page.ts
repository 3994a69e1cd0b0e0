// Trends: the staff API's stats reports (domain/stats.ts, the same SQL as /api/v1/stats), each as a chart
// drawn from its own data table (so the two cannot disagree) with a CSV download of the same rows.
import type {
  BacklogDocument,
  CountsDocument,
  HotspotsDocument,
  OverdueDocument,
  TimeToCloseDocument,
} from '../../../domain/stats.js';
import type { StaffService } from '../../../domain/catalog.js';
import { csvTable } from '../../../serialize/csv.js';
import { type SafeHtml, html } from '../html.js';
import { CONSOLE_BASE_PATH } from './layout.js';
import { MAP_BASE_PATH } from '../../map-clusters.js';

export interface TrendsReports {
  counts: CountsDocument;
  backlog: BacklogDocument;
  timeToClose: TimeToCloseDocument;
  overdue: OverdueDocument;
  hotspots: HotspotsDocument;
}

export type TrendTable = { header: string[]; rows: Array<Array<string | number | null>> };

const dayOf = (date: Date, timeZone: string): string =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);

/** Each report as one table: the page shows it, the chart reads it, the CSV download is it. */
export function trendTables(reports: TrendsReports, services: StaffService[], timeZone: string): Record<string, TrendTable> {
  const names = new Map(services.map((service) => [service.service_code, service.service_name]));
  const codes = [...new Set(reports.counts.rows.map((row) => row.key ?? '(none)'))].sort();
  const weeks = [...new Set(reports.counts.rows.map((row) => (row.bucket ? dayOf(row.bucket, timeZone) : '')))].sort();
  const cells = new Map(
    reports.counts.rows.map((row) => [`${row.bucket ? dayOf(row.bucket, timeZone) : ''}|${row.key ?? '(none)'}`, row.count]),
  );
  return {
    'requests-per-week': {
      header: ['Week starting', ...codes.map((code) => names.get(code) ?? code), 'Total'],
      rows: weeks.map((week) => {
        const counts = codes.map((code) => cells.get(`${week}|${code}`) ?? 0);
        return [week, ...counts, counts.reduce((sum, count) => sum + count, 0)];
      }),
    },
    backlog: {
      header: ['Day', 'Open requests'],
      rows: reports.backlog.rows.map((row) => [dayOf(row.bucket, timeZone), row.open]),
    },
    'time-to-close': {
      header: ['Service', 'Closed', 'Median hours', '90th percentile hours'],
      rows: [
        ...reports.timeToClose.rows.map((row) => [
          names.get(row.service_code) ?? row.service_code,
          row.closed,
          row.median_hours,
          row.p90_hours,
        ]),
        [
          'All services',
          reports.timeToClose.overall.closed,
          reports.timeToClose.overall.median_hours,
          reports.timeToClose.overall.p90_hours,
        ],
      ],
    },
    'overdue-by-agency': {
      header: ['Agency', 'Overdue requests'],
      rows: reports.overdue.by_agency.map((row) => [row.agency ?? 'No agency', row.count]),
    },
    hotspots: {
      header: ['Cell', 'Requests', 'Still open', 'South', 'West', 'North', 'East'],
      rows: reports.hotspots.features.map((feature) => {
        const ring = feature.geometry.coordinates[0]!;
        return [
          feature.properties.cell_id,
          feature.properties.count,
          feature.properties.open,
          ring[0]![1]!,
          ring[0]![0]!,
          ring[2]![1]!,
          ring[2]![0]!,
        ];
      }),
    },
  };
}

export function tableCsv(table: TrendTable): string {
  return csvTable(table.header, table.rows);
}

const TITLES: Record<string, { title: string; chart: 'lines' | 'bars' | 'map'; summary: string }> = {
  'requests-per-week': {
    title: 'Requests per service per week',
    chart: 'lines',
    summary: 'New requests received each week, per service.',
  },
  backlog: { title: 'Open backlog over time', chart: 'lines', summary: 'Requests still open at the end of each day.' },
  'time-to-close': {
    title: 'Time to close per service',
    chart: 'bars',
    summary: 'Median and 90th percentile hours from received to closed, for requests closed in the period.',
  },
  'overdue-by-agency': { title: 'Overdue by agency', chart: 'bars', summary: 'Open requests past their expected date, now.' },
  hotspots: {
    title: 'Hotspots',
    chart: 'map',
    summary: 'Grid cells of 250 m with at least 2 requests in the period, busiest first.',
  },
};

function section(
  name: string,
  table: TrendTable,
  query: string,
  map: { tileUrl: string; attribution: string; clustersUrl: string },
): SafeHtml {
  const info = TITLES[name]!;
  const numeric = (index: number): boolean => table.rows.some((row) => typeof row[index] === 'number');
  return html`<section class="trend" aria-labelledby="trend-${name}-title">
  <h2 id="trend-${name}-title">${info.title}</h2>
  <p>${info.summary}</p>
  ${
    info.chart === 'map'
      ? html`<div class="map" data-hotspot-map data-tile-url="${map.tileUrl}" data-attribution="${map.attribution}" data-clusters-url="${map.clustersUrl}" role="region" aria-label="Map of the hotspots in the table below, and of every public request of the period in clusters"></div>
  <p class="muted" role="status" data-cluster-status></p>`
      : html`<div class="chart" data-chart="${info.chart}" data-table="trend-${name}-table" role="img" aria-label="Chart: ${info.title}. The table below has the same numbers."></div>`
  }
  <p class="no-print"><a href="${CONSOLE_BASE_PATH}/trends/${name}.csv${query}" download>Download “${info.title}” as CSV</a></p>
  <details${table.rows.length <= 12 ? html` open` : html``}>
    <summary>Data table (${String(table.rows.length)} row${table.rows.length === 1 ? '' : 's'})</summary>
    <div class="table-scroll" tabindex="0" role="region" aria-label="Table (scrolls sideways)">
    <table id="trend-${name}-table" data-trend-table="${name}">
      <caption>${info.title}</caption>
      <thead><tr>${table.header.map((label, index) => html`<th scope="col"${numeric(index) ? html` class="number"` : html``}>${label}</th>`)}</tr></thead>
      <tbody>${
        table.rows.length === 0
          ? html`<tr><td colspan="${String(table.header.length)}">No data in this period.</td></tr>`
          : table.rows.map(
              (row) =>
                html`<tr>${row.map((value, index) =>
                  index === 0
                    ? html`<th scope="row">${value ?? ''}</th>`
                    : html`<td class="number" data-value="${value === null ? '' : String(value)}">${value === null ? '—' : String(value)}</td>`,
                )}</tr>`,
            )
      }</tbody>
    </table>
    </div>
  </details>
</section>`;
}

/** The public map of everything for the period and services (the map adds its zoom and view). */
function clustersUrl(input: { start_date: string; end_date: string; service_code: string[] }): string {
  const search = new URLSearchParams({ start_date: input.start_date, end_date: input.end_date });
  if (input.service_code.length > 0) search.set('service_code', input.service_code.join(','));
  return `${MAP_BASE_PATH}/clusters.json?${search.toString()}`;
}

export function trendsBody(
  tables: Record<string, TrendTable>,
  input: { start_date: string; end_date: string; service_code: string[] },
  services: StaffService[],
  query: string,
  map: { tileUrl: string; attribution: string },
): SafeHtml {
  return html`<h1>Trends</h1>
<form method="get" action="${CONSOLE_BASE_PATH}/trends" class="filters" aria-label="Period and services">
  <div class="field"><label for="trends-start">From</label><input type="date" id="trends-start" name="start_date" value="${input.start_date}"></div>
  <div class="field"><label for="trends-end">To</label><input type="date" id="trends-end" name="end_date" value="${input.end_date}"></div>
  <div class="field">
    <label for="trends-service">Services</label>
    <select id="trends-service" name="service_code" multiple size="4">
      ${services.map((service) => html`<option value="${service.service_code}"${input.service_code.includes(service.service_code) ? html` selected` : html``}>${service.service_name}</option>`)}
    </select>
  </div>
  <button type="submit">Show</button>
</form>
<p class="muted">The same numbers as the staff API’s <code>/api/v1/stats</code> reports for this period${input.service_code.length ? ' and these services' : ''}.</p>
${Object.entries(tables).map(([name, table]) => section(name, table, query, { ...map, clustersUrl: clustersUrl(input) }))}`;
}

// Trends in a real Chromium: every chart has its data table and CSV, and the numbers are those of
// /api/v1/stats for the same period and services.
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { type ConsoleServer, consoleServer, createPublicRequest, signIn, freshPagePerTest } from './console-support.js';
import { collectPageErrors, expectNoAxeViolations } from './support.js';

async function api(server: ConsoleServer, path: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}/api/v1/stats${path}`, { headers: { Authorization: `Bearer ${server.staffKey}` } });
  expect(response.status, path).to.equal(200);
  return (await response.json()) as Record<string, unknown>;
}

async function tableRows(page: Page, name: string): Promise<string[][]> {
  return (
    page
      .locator(`[data-trend-table="${name}"] tbody tr`)
      // Data rows only: an empty table holds one "No data in this period." row without a row header.
      .evaluateAll((rows) =>
        rows
          .filter((row) => row.querySelector('th'))
          .map((row) => [...row.querySelectorAll('th, td')].map((cell) => (cell.textContent ?? '').trim())),
      )
  );
}

describe('staff console: trends', () => {
  let server: ConsoleServer;
  let page: Page;

  before(async () => {
    server = await consoleServer();
    // Enough rows in one place for a hotspot, some closed.
    for (let index = 0; index < 3; index += 1) {
      await createPublicRequest(server, {
        service_code: 'GRAFFITI',
        description: `Trend graffiti ${index}`,
        lat: '39.7201',
        long: '-82.6001',
      });
    }
    await createPublicRequest(server, {
      service_code: 'SIDEWALK',
      description: 'Trend sidewalk',
      lat: '39.7202',
      long: '-82.6002',
    });
  });
  freshPagePerTest((fresh) => ({ page } = fresh));

  it('shows each report as a chart, a data table and a CSV with the numbers of /api/v1/stats', async () => {
    const errors = collectPageErrors(page);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(new Date());
    const start = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(
      new Date(Date.now() - 60 * 86_400_000),
    );
    const query = `start_date=${start}&end_date=${today}`;
    await signIn(page, server);
    await page.goto(`${server.url}/staff/trends?${query}`);
    await page.getByRole('heading', { level: 1, name: 'Trends' }).waitFor();
    // Every chart whose table has rows is drawn (an empty table says "No data in this period" instead).
    const undrawn = await page.locator('[data-chart]').evaluateAll((charts) =>
      charts
        .filter((chart) => !chart.querySelector('.uplot'))
        .filter((chart) => document.getElementById(chart.getAttribute('data-table') ?? '')?.querySelector('tbody th'))
        .map((chart) => chart.getAttribute('data-table')),
    );
    expect(undrawn, `charts not drawn; page errors: ${errors.join('; ')}`).to.deep.equal([]);
    expect(await page.locator('.uplot').count()).to.be.at.least(3);
    await expectNoAxeViolations(page, 'the trends page');

    // Requests per service per week: each cell is the API's count for that week and service.
    const counts = (await api(server, `?group_by=service_code&interval=week&${query}`)) as {
      rows: Array<{ bucket: string; key: string; count: number }>;
      total: number;
    };
    const weekRows = await tableRows(page, 'requests-per-week');
    const pageTotal = weekRows.reduce((sum, row) => sum + Number(row[row.length - 1]), 0);
    expect(pageTotal).to.equal(counts.total);
    const header = await page.locator('[data-trend-table="requests-per-week"] thead th').allTextContents();
    const graffitiColumn = header.indexOf('Graffiti');
    const graffitiApi = counts.rows.filter((row) => row.key === 'GRAFFITI').reduce((sum, row) => sum + row.count, 0);
    expect(weekRows.reduce((sum, row) => sum + Number(row[graffitiColumn]), 0)).to.equal(graffitiApi);
    expect(graffitiApi).to.be.at.least(3);

    // Backlog: the same open count per day.
    const backlog = (await api(server, `/backlog?interval=day&${query}`)) as { rows: Array<{ open: number }> };
    expect((await tableRows(page, 'backlog')).map((row) => Number(row[1]))).to.deep.equal(backlog.rows.map((row) => row.open));

    // Time to close: the overall row.
    const close = (await api(server, `/time-to-close?${query}`)) as { overall: { closed: number; median_hours: number | null } };
    const overall = (await tableRows(page, 'time-to-close')).find((row) => row[0] === 'All services')!;
    expect(Number(overall[1])).to.equal(close.overall.closed);
    expect(overall[2]).to.equal(close.overall.median_hours === null ? '—' : String(close.overall.median_hours));

    // Overdue by agency and hotspots.
    const overdue = (await api(server, `/overdue?${query}`)) as { by_agency: Array<{ agency: string | null; count: number }> };
    expect((await tableRows(page, 'overdue-by-agency')).map((row) => Number(row[1]))).to.deep.equal(
      overdue.by_agency.map((row) => row.count),
    );
    const hotspots = (await api(server, `/hotspots?${query}`)) as { features: Array<{ properties: { count: number } }> };
    const hotspotRows = await tableRows(page, 'hotspots');
    expect(hotspotRows.map((row) => Number(row[1]))).to.deep.equal(hotspots.features.map((feature) => feature.properties.count));
    expect(await page.locator('[data-hotspot-map] path.leaflet-interactive').count()).to.equal(hotspotRows.length);
    // Over the cells, every public request of the period in view, as clusters from /open311/map/clusters.
    const status = page.locator('[data-cluster-status]');
    await status.filter({ hasText: 'This view holds' }).waitFor();
    const [, shown, clusters] = /This view holds (\d+) public requests? of the period, in (\d+) clusters?\./.exec(
      (await status.textContent()) ?? '',
    )!;
    expect(Number(shown)).to.be.at.least(4);
    expect(await page.locator('[data-hotspot-map] .cluster-marker').count()).to.equal(Number(clusters));
    await expectNoAxeViolations(page, 'the trends page with its clusters');

    // The CSV download is the same table.
    const href = await page.getByRole('link', { name: 'Download “Open backlog over time” as CSV' }).getAttribute('href');
    const csv = await (await page.request.get(`${server.url}${href}`)).text();
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).to.equal('Day,Open requests');
    expect(lines.slice(1).map((line) => Number(line.split(',')[1]))).to.deep.equal(backlog.rows.map((row) => row.open));
    expect(errors).to.deep.equal([]);
  });

  it('filters by service', async () => {
    await signIn(page, server);
    await page.goto(`${server.url}/staff/trends`);
    await page.getByLabel('Services', { exact: true }).selectOption(['SIDEWALK']);
    await page.getByRole('button', { name: 'Show' }).click();
    expect(page.url()).to.contain('service_code=SIDEWALK');
    const header = await page.locator('[data-trend-table="requests-per-week"] thead th').allTextContents();
    expect(header).to.deep.equal(['Week starting', 'Sidewalk damage', 'Total']);
  });
});

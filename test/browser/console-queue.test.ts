// The staff console's queue in a real Chromium: sign in, filter by text, bulk close, CSV of the filter, saved
// views, the HTML error page, and axe on each state.
import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import {
  answerTiles,
  type ConsoleServer,
  consoleServer,
  createPublicRequest,
  publicRequest,
  signIn,
  freshPagePerTest,
} from './console-support.js';
import { expectNoAxeViolations } from './support.js';

describe('staff console: queue', () => {
  let server: ConsoleServer;
  let browser: BrowserContext;
  let page: Page;
  let errors: string[];

  before(async () => {
    server = await consoleServer();
  });
  freshPagePerTest((fresh) => ({ browser, page, errors } = fresh), { tiles: false });

  it('asks for sign-in, then shows the queue with the layout, and passes axe', async () => {
    await page.goto(`${server.url}/staff/?q=x`);
    expect(page.url()).to.contain('/staff/sign-in?next=');
    await signIn(page, server);
    expect(
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Queue' }).getAttribute('aria-current'),
    ).to.equal('page');
    expect(await page.getByRole('link', { name: 'Admin' }).count()).to.equal(0);
    expect(await page.getByRole('main').count()).to.equal(1);
    await expectNoAxeViolations(page, 'the queue');
    expect(errors).to.deep.equal([]);
  });

  it('finds requests by text, closes the selected ones in bulk, and the public answer changes', async () => {
    const word = `bulkword${Date.now().toString(36)}`;
    const first = await createPublicRequest(server, { service_code: 'GRAFFITI', description: `Tag on the wall ${word}` });
    const second = await createPublicRequest(server, { service_code: 'GRAFFITI', description: `More paint ${word}` });
    await signIn(page, server);
    await page.getByLabel('Search text').fill(word);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    expect(page.url()).to.contain(`q=${word}`);
    expect(await page.getByText('Showing 1–2 of 2 requests.').count()).to.equal(1);
    await page.getByLabel(`Select request ${first}`).check();
    await page.getByLabel(`Select request ${second}`).check();
    await page.getByLabel('With the selected requests').selectOption('close');
    await page.getByLabel('Public note').fill('Painted over by the city crew.');
    await page.getByRole('button', { name: 'Apply to selected' }).click();
    await page.getByText('2 requests changed.').waitFor();
    expect(page.url()).to.contain(`q=${word}`);
    await expectNoAxeViolations(page, 'the queue after a bulk action');
    for (const id of [first, second]) {
      const answer = await publicRequest(server, id);
      expect(answer.status).to.equal('closed');
      expect(answer.status_notes).to.equal('Painted over by the city crew.');
    }
    expect(errors).to.deep.equal([]);
  });

  it('filters by service group, keeps it in the URL, and the map shows the same group', async () => {
    await answerTiles(browser);
    const word = `groupword${Date.now().toString(36)}`;
    const sidewalk = await createPublicRequest(server, { service_code: 'SIDEWALK', description: `Cracked slab ${word}` });
    const pothole = await createPublicRequest(server, {
      service_code: 'STREETLIGHT',
      'attribute[LIGHT_PROBLEM]': 'OUT',
      description: `Dark lamp ${word}`,
    });
    const graffiti = await createPublicRequest(server, { service_code: 'GRAFFITI', description: `Paint ${word}` });
    await signIn(page, server);
    await page.getByLabel('Search text').fill(word);
    await page.getByLabel('Service group').selectOption('Streets');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    expect(page.url()).to.contain('group=Streets');
    await page.getByText('Showing 1–2 of 2 requests.').waitFor();
    expect(await page.getByLabel(`Select request ${sidewalk}`).count()).to.equal(1);
    expect(await page.getByLabel(`Select request ${pothole}`).count()).to.equal(1);
    expect(await page.getByLabel(`Select request ${graffiti}`).count()).to.equal(0);
    await expectNoAxeViolations(page, 'the queue filtered by group');
    // A bookmarked view keeps the group: reloading the URL shows the same rows and the chosen group.
    await page.reload();
    expect(await page.getByLabel('Service group').inputValue()).to.equal('Streets');
    await page.getByRole('link', { name: 'Show on the map' }).click();
    await page.getByRole('heading', { level: 1, name: 'Map of the queue' }).waitFor();
    expect(page.url()).to.contain('group=Streets');
    expect(await page.getByLabel('Service group').inputValue()).to.equal('Streets');
    const list = page.getByRole('list', { name: 'Requests in this view' });
    expect(await list.getByRole('listitem').count()).to.equal(2);
    expect(await list.getByRole('link', { name: new RegExp(`Request ${graffiti}:`) }).count()).to.equal(0);
    await page.getByLabel('Service group').selectOption('Neighborhoods');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/group=Neighborhoods/);
    expect(await list.getByRole('listitem').count()).to.equal(1);
    expect(await list.getByRole('link').first().textContent()).to.contain(`Request ${graffiti}`);
    expect(errors).to.deep.equal([]);
  });

  it('fits the queue table on a 1280 px screen, tags and all', async () => {
    const word = `fitword${Date.now().toString(36)}`;
    // A point of its own, so that on a database kept between runs the duplicate is of this run's request.
    const point = { lat: (39.69 + Math.random() * 0.02).toFixed(6), long: (-82.62 + Math.random() * 0.02).toFixed(6) };
    const first = await createPublicRequest(server, { service_code: 'SIDEWALK', description: `Lifted slab ${word}`, ...point });
    const again = await createPublicRequest(server, { service_code: 'SIDEWALK', description: `Same slab ${word}`, ...point });
    const overdue = await fetch(`${server.url}/api/v1/requests/${first}`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${server.adminKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ expected_datetime: new Date(Date.now() - 36 * 3_600_000).toISOString(), version: 1 }),
    });
    expect(overdue.status, await overdue.clone().text()).to.equal(200);
    await signIn(page, server);
    await page.goto(`${server.url}/staff/?q=${word}`);
    await page.getByText(`Possible duplicate of ${first}`).waitFor();
    expect(await page.getByLabel(`Select request ${again}`).count()).to.equal(1);
    await page.getByText(/^Overdue by /).waitFor();
    const { table, scroller } = await page.locator('table').evaluate((element) => ({
      table: element.getBoundingClientRect().width,
      scroller: element.closest('.table-scroll')!.clientWidth,
    }));
    expect(table, 'the table is no wider than its scroller').to.be.at.most(scroller);
  });

  it('sorts by due date, pages, shows the SLA on every row, and assigns and changes status in bulk', async () => {
    const word = `sortword${Date.now().toString(36)}`;
    const ids: string[] = [];
    // Due in 3 days, overdue by 2 days, due in 10 days: by due date the order is 2nd, 1st, 3rd.
    for (const [index, hours] of [72, -48, 240].entries()) {
      const id = await createPublicRequest(server, { service_code: 'GRAFFITI', description: `Tag ${index} ${word}` });
      const due = await fetch(`${server.url}/api/v1/requests/${id}`, {
        method: 'PATCH',
        headers: { Authorization: `Bearer ${server.adminKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ expected_datetime: new Date(Date.now() + hours * 3_600_000).toISOString(), version: 1 }),
      });
      expect(due.status, await due.clone().text()).to.equal(200);
      ids.push(id);
    }
    const shownIds = () =>
      page.locator('tbody tr[data-request-row]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-id')));
    await signIn(page, server);
    await page.goto(`${server.url}/staff/?q=${word}`);
    await page.getByRole('link', { name: /^Due/ }).click();
    await page.waitForURL(/sort=expected_datetime/);
    expect(await page.getByRole('columnheader', { name: /^Due/ }).getAttribute('aria-sort')).to.equal('ascending');
    expect(await shownIds()).to.deep.equal([ids[1], ids[0], ids[2]]);
    // Every row says where it stands against its target.
    const states = await page.locator('tbody tr[data-request-row] td:last-child .tag').allTextContents();
    expect(states).to.have.length(3);
    expect(states[0]).to.match(/^Overdue by 2 days$/);
    expect(states[1]).to.match(/^Due in 3 days$/);
    expect(states[2]).to.match(/^Due in 10 days$/);
    await page.getByRole('link', { name: /^Due/ }).click();
    await page.waitForURL(/sort=-expected_datetime/);
    expect(await shownIds()).to.deep.equal([ids[2], ids[0], ids[1]]);

    // Two rows a page: the second page holds the last one.
    await page.goto(`${server.url}/staff/?q=${word}&sort=expected_datetime&page_size=2`);
    await page.getByText('Showing 1–2 of 3 requests.').waitFor();
    await page.getByRole('navigation', { name: 'Pages of the queue' }).getByRole('link', { name: 'Next' }).click();
    await page.getByText('Showing 3–3 of 3 requests.').waitFor();
    expect(await shownIds()).to.deep.equal([ids[2]]);
    await expectNoAxeViolations(page, 'the second page of the queue');

    // Bulk: assign two to a person, then put them in progress.
    await page.goto(`${server.url}/staff/?q=${word}&sort=expected_datetime`);
    await page.getByLabel(`Select request ${ids[0]}`).check();
    await page.getByLabel(`Select request ${ids[1]}`).check();
    await page.getByLabel('With the selected requests').selectOption('assign');
    await page.getByLabel('Person', { exact: true }).selectOption({ label: server.adminPerson.display_name });
    await page.getByRole('button', { name: 'Apply to selected' }).click();
    await page.getByText('2 requests changed.').waitFor();
    await page.getByLabel(`Select request ${ids[0]}`).check();
    await page.getByLabel(`Select request ${ids[1]}`).check();
    await page.getByLabel('With the selected requests').selectOption('status');
    await page.getByLabel('Status', { exact: true }).last().selectOption('in_progress');
    await page.getByRole('button', { name: 'Apply to selected' }).click();
    await page.getByText('2 requests changed.').waitFor();
    for (const [id, expected] of [
      [ids[0], { assignee: server.adminPerson.display_name, status: 'in_progress' }],
      [ids[1], { assignee: server.adminPerson.display_name, status: 'in_progress' }],
      [ids[2], { assignee: undefined, status: 'submitted' }],
    ] as const) {
      const stored = (await (
        await fetch(`${server.url}/api/v1/requests/${id}`, { headers: { Authorization: `Bearer ${server.staffKey}` } })
      ).json()) as { assigned_to: { name: string } | null; detailed_status: string };
      expect([stored.assigned_to?.name, stored.detailed_status], `request ${id}`).to.deep.equal([
        expected.assignee,
        expected.status,
      ]);
    }
    expect(errors).to.deep.equal([]);
  });

  it('leaves a row someone else changed alone in a bulk action, and says so', async () => {
    const word = `staleword${Date.now().toString(36)}`;
    const id = await createPublicRequest(server, { service_code: 'SIDEWALK', description: `Deep crack ${word}` });
    await signIn(page, server);
    await page.goto(`${server.url}/staff/?q=${word}`);
    await page.getByLabel(`Select request ${id}`).check();
    // Someone else changes it through the staff API after the page was loaded.
    const patch = await fetch(`${server.url}/api/v1/requests/${id}`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${server.adminKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ status: 'in_progress', version: 1 }),
    });
    expect(patch.status).to.equal(200);
    await page.getByLabel('With the selected requests').selectOption('close');
    await page.getByRole('button', { name: 'Apply to selected' }).click();
    await page.getByText(/Left alone because someone changed them/).waitFor();
    expect((await publicRequest(server, id)).status).to.equal('open');
  });

  it('exports exactly the current filter as CSV, and keeps saved views per person', async () => {
    const word = `csvword${Date.now().toString(36)}`;
    const ids = [
      await createPublicRequest(server, { service_code: 'SIDEWALK', description: `Cracked ${word}` }),
      await createPublicRequest(server, { service_code: 'SIDEWALK', description: `Lifted ${word}` }),
    ];
    await signIn(page, server);
    await page.goto(`${server.url}/staff/?q=${word}&page_size=25`);
    const href = await page.getByRole('link', { name: 'Download CSV of this view' }).getAttribute('href');
    expect(href).to.equal(`/staff/export.csv?q=${word}`);
    const response = await page.request.get(`${server.url}${href}`);
    expect(response.headers()['content-type']).to.contain('text/csv');
    const lines = (await response.text()).trim().split('\r\n');
    expect(lines[0]).to.match(/^service_request_id,/);
    expect(
      lines
        .slice(1)
        .map((line) => line.split(',')[0])
        .sort(),
    ).to.deep.equal([...ids].sort());

    await page.getByText('Saved views (0)').click();
    await page.getByLabel('Save these filters as').fill('My sidewalks');
    await page.getByRole('button', { name: 'Save view' }).click();
    await page.getByText('Saved the view “My sidewalks”.').waitFor();
    await page.goto(`${server.url}/staff/`);
    await page.getByText('Saved views (1)').click();
    await expectNoAxeViolations(page, 'the queue with the saved views open');
    await page.getByRole('link', { name: 'My sidewalks' }).click();
    expect(page.url()).to.contain(`q=${word}`);
    await page.getByText('Showing 1–2 of 2 requests.').waitFor();
  });

  it('shows a bad filter as an error summary and an unknown page as an HTML error page', async () => {
    await signIn(page, server);
    await page.goto(`${server.url}/staff/?bbox=nonsense`);
    await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
    expect(await page.title()).to.match(/^Error: Queue/);
    await expectNoAxeViolations(page, 'the queue with an error summary');
    const response = await page.goto(`${server.url}/staff/no-such-page`);
    expect(response?.status()).to.equal(404);
    expect(response?.headers()['content-type']).to.contain('text/html');
    await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
    await expectNoAxeViolations(page, 'the 404 page');
  });

  it('updates the queue without a reload when a request arrives', async function () {
    this.timeout(60_000);
    const word = `liveword${Date.now().toString(36)}`;
    await createPublicRequest(server, { service_code: 'GRAFFITI', description: `First ${word}` });
    await signIn(page, server);
    await page.goto(`${server.url}/staff/?q=${word}`);
    await page.getByText('Showing 1–1 of 1 request.').waitFor();
    // Let the page take its first fingerprint before the new request arrives.
    await page.waitForTimeout(1500);
    const added = await createPublicRequest(server, { service_code: 'GRAFFITI', description: `Second ${word}` });
    await page.getByLabel(`Select request ${added}`).waitFor({ timeout: 25_000 });
    await page.getByText('Showing 1–2 of 2 requests.').waitFor();
    await page.getByText(/The queue was updated/).waitFor();
  });
});

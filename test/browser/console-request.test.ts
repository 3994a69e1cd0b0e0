// The request page in a real Chromium: find a request by text, work it (status with a public note, internal
// note, agency and date), see the public GeoReport answer and servicerequestupdates change, a stale edit shown as
// a conflict that saves nothing, mark a duplicate from the suggestions, the printable work order, axe throughout.
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import {
  type ConsoleServer,
  consoleServer,
  createPublicRequest,
  publicRequest,
  signIn,
  freshPagePerTest,
} from './console-support.js';
import { expectNoAxeViolations } from './support.js';

async function publicUpdates(server: ConsoleServer, id: string): Promise<Array<Record<string, unknown>>> {
  const start = new Date(Date.now() - 3_600_000).toISOString();
  const response = await fetch(`${server.url}/open311/v2/servicerequestupdates.json?start_date=${encodeURIComponent(start)}`);
  const body = (await response.json()) as Array<Record<string, unknown>>;
  return body.filter((update) => update.service_request_id === id);
}

describe('staff console: request page', () => {
  let server: ConsoleServer;
  let page: Page;
  let errors: string[];

  before(async () => {
    server = await consoleServer();
  });
  freshPagePerTest((fresh) => ({ page, errors } = fresh));

  it('finds a request by text, assigns it to me, closes it with a template; the public answer and updates change', async () => {
    const word = `workword${Date.now().toString(36)}`;
    const templateName = `Graffiti removed ${word}`;
    const template = await fetch(`${server.url}/api/v1/response-templates`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.adminKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: templateName, text: 'Our crew removed the graffiti. Thank you for reporting it.' }),
    });
    expect(template.status).to.equal(201);
    const id = await createPublicRequest(server, {
      service_code: 'GRAFFITI',
      description: `Spray paint on the bridge ${word}`,
      address_string: '100 N Broad St',
      email: 'resident@example.org',
      first_name: 'Rita',
    });
    await signIn(page, server);
    await page.getByLabel('Search text').fill(word);
    await page.getByLabel('Search text').press('Enter');
    await page.getByRole('link', { name: id, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: `Request ${id}: Graffiti` }).waitFor();
    expect(await page.getByText('resident@example.org').count()).to.equal(1);
    expect(await page.locator('.leaflet-marker-icon').count()).to.equal(1);
    await expectNoAxeViolations(page, 'the request page');

    await page.getByRole('button', { name: 'Assign to me' }).click();
    await page.getByText('Saved the assignment.').waitFor();
    expect(await page.locator('dd').filter({ hasText: server.staffPerson.display_name }).count()).to.be.at.least(1);
    // The queue's "Me" filter now finds it.
    await page.goto(`${server.url}/staff/?assigned_to=me&q=${word}`);
    await page.getByText('Showing 1–1 of 1 request.').waitFor();
    await page.getByRole('link', { name: id, exact: true }).click();

    await page.getByLabel('Status', { exact: true }).selectOption('in_progress');
    await page.getByLabel('Public note').fill('A crew is on the way.');
    await page.getByRole('button', { name: 'Save status and note' }).click();
    await page.getByText('Saved the status and public note.').waitFor();
    expect((await publicRequest(server, id)).status_notes).to.equal('A crew is on the way.');

    await page.getByLabel('Internal note').fill('Needs the lift truck.');
    await page.getByRole('button', { name: 'Add internal note' }).click();
    await page.getByText('Added the internal note.').waitFor();
    expect(await page.getByText('Needs the lift truck.').count()).to.equal(1);

    await page.getByLabel('Status', { exact: true }).selectOption('closed');
    await page.getByLabel('Response template').selectOption({ label: templateName });
    expect(await page.getByLabel('Public note').inputValue()).to.equal(
      'Our crew removed the graffiti. Thank you for reporting it.',
    );
    await page.getByRole('button', { name: 'Save status and note' }).click();
    await page.getByText('Saved the status and public note.').waitFor();
    await expectNoAxeViolations(page, 'the request page after changes');

    const answer = await publicRequest(server, id);
    expect(answer.status).to.equal('closed');
    expect(answer.status_notes).to.equal('Our crew removed the graffiti. Thank you for reporting it.');
    const updates = await publicUpdates(server, id);
    expect(updates.map((update) => update.description)).to.include('Our crew removed the graffiti. Thank you for reporting it.');
    expect(updates.map((update) => update.description)).to.not.include('Needs the lift truck.');
    expect(errors).to.deep.equal([]);
  });

  it('routes a request to an agency with an expected date; a date answer reads in the city time', async () => {
    const code = `WHEN_${Date.now().toString(36).toUpperCase()}`;
    const service = await fetch(`${server.url}/api/v1/services`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.adminKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        service_code: code,
        service_name: `Missed sweep ${code}`,
        attributes: [{ code: 'SEEN', datatype: 'datetime', description: 'When did you see it?', order: 1 }],
      }),
    });
    expect(service.status, await service.clone().text()).to.equal(201);
    const id = await createPublicRequest(server, {
      service_code: code,
      description: 'Street not swept',
      'attribute[SEEN]': '2026-11-20T14:30:00Z',
    });
    await signIn(page, server);
    await page.goto(`${server.url}/staff/requests/${id}`);
    // 14:30 UTC is 9:30 in Lancaster (EST), written like the other dates of the page.
    const answer = page.locator('dt', { hasText: 'When did you see it?' }).locator('xpath=following-sibling::dd[1]');
    expect((await answer.textContent())?.trim()).to.equal('Nov 20, 2026, 9:30 AM');

    await page.getByLabel('Agency', { exact: true }).selectOption('Code Enforcement');
    await page.getByLabel('Expected by').fill('2026-12-24T16:00');
    await page.getByRole('button', { name: 'Save agency and date' }).click();
    await page.getByText('Saved the agency and expected date.').waitFor();
    await expectNoAxeViolations(page, 'the request page after routing it');
    const answerNow = await publicRequest(server, id);
    expect(answerNow.agency_responsible).to.equal('Code Enforcement');
    // 16:00 local on Christmas Eve (EST, UTC-5) is 21:00 UTC.
    expect(Date.parse(String(answerNow.expected_datetime))).to.equal(Date.parse('2026-12-24T21:00:00Z'));
    expect(await page.getByLabel('Expected by').inputValue()).to.equal('2026-12-24T16:00');
    expect(errors).to.deep.equal([]);
  });

  it('assigns a request to a person, and marks a duplicate by number (a wrong number is kept on its field)', async () => {
    const word = `numberword${Date.now().toString(36)}`;
    const original = await createPublicRequest(server, { service_code: 'GRAFFITI', description: `Original ${word}` });
    const copy = await createPublicRequest(server, {
      service_code: 'GRAFFITI',
      description: `Copy ${word}`,
      lat: (39.69 + Math.random() * 0.02).toFixed(6),
      long: (-82.62 + Math.random() * 0.02).toFixed(6),
    });
    await signIn(page, server);
    await page.goto(`${server.url}/staff/requests/${copy}`);
    await page.getByLabel('Person', { exact: true }).selectOption({ label: server.adminPerson.display_name });
    await page.getByRole('button', { name: 'Assign to this person' }).click();
    await page.getByText('Saved the assignment.').waitFor();
    const stored = (await (
      await fetch(`${server.url}/api/v1/requests/${copy}`, { headers: { Authorization: `Bearer ${server.staffKey}` } })
    ).json()) as { assigned_to: { name: string } | null };
    expect(stored.assigned_to?.name).to.equal(server.adminPerson.display_name);

    await page.getByLabel('Original request number').fill('999999999');
    await page.getByRole('button', { name: 'Mark as duplicate' }).click();
    await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
    const field = page.getByLabel('Original request number');
    expect(await field.inputValue()).to.equal('999999999');
    expect(await field.getAttribute('aria-invalid')).to.equal('true');
    expect(await page.locator('#duplicate-original-error').textContent()).to.match(/999999999|not found/i);
    await expectNoAxeViolations(page, 'the request page with a duplicate error');
    await field.fill(original);
    await page.getByRole('button', { name: 'Mark as duplicate' }).click();
    await page.getByText(`Closed as a duplicate of request ${original}.`).waitFor();
    expect((await publicRequest(server, copy)).status).to.equal('closed');
    expect(errors.filter((error) => !/status of 400/.test(error))).to.deep.equal([]);
  });

  it('shows a stale edit as a conflict with what changed, and saves nothing', async () => {
    const id = await createPublicRequest(server, { service_code: 'GRAFFITI', description: 'Tag on a mailbox' });
    await signIn(page, server);
    await page.goto(`${server.url}/staff/requests/${id}`);
    await page.getByLabel('Public note').fill('My note that must not overwrite.');
    const patch = await fetch(`${server.url}/api/v1/requests/${id}`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${server.adminKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ status: 'on_hold', status_notes: 'Waiting for the owner.', version: 1 }),
    });
    expect(patch.status).to.equal(200);
    await page.getByRole('button', { name: 'Save status and note' }).click();
    await page.getByRole('heading', { name: 'Someone changed this request while you were working on it' }).waitFor();
    const table = page.getByRole('table').filter({ hasText: 'When you opened it' });
    expect(await table.getByRole('row', { name: /Status Submitted On hold/ }).count()).to.equal(1);
    expect(await table.getByRole('row', { name: /Public note nothing Waiting for the owner\./ }).count()).to.equal(1);
    expect(await page.getByLabel('Public note').inputValue()).to.equal('My note that must not overwrite.');
    await expectNoAxeViolations(page, 'the conflict page');
    const answer = await publicRequest(server, id);
    expect(answer.status_notes).to.equal('Waiting for the owner.');
  });

  it('marks a duplicate from the nearby suggestions, and prints a work order with a QR code', async () => {
    const word = `dupword${Date.now().toString(36)}`;
    const original = await createPublicRequest(server, {
      service_code: 'SIDEWALK',
      description: `Slab lifted ${word}`,
      lat: '39.70001',
      long: '-82.61001',
    });
    const copy = await createPublicRequest(server, {
      service_code: 'SIDEWALK',
      description: `Lifted slab again ${word}`,
      lat: '39.70002',
      long: '-82.61002',
    });
    await signIn(page, server);
    await page.goto(`${server.url}/staff/requests/${copy}`);
    await page.getByRole('button', { name: `Duplicate of ${original}` }).click();
    await page.getByText(`Closed as a duplicate of request ${original}.`).waitFor();
    const answer = await publicRequest(server, copy);
    expect(answer.status).to.equal('closed');

    await page.getByRole('link', { name: 'Printable work order' }).click();
    await page.getByRole('heading', { level: 1, name: `Work order: request ${copy}` }).waitFor();
    expect(await page.getByRole('img', { name: 'QR code of the request page' }).count()).to.equal(1);
    await expectNoAxeViolations(page, 'the work order');
    await page.emulateMedia({ media: 'print' });
    expect(await page.getByRole('navigation', { name: 'Console' }).isVisible()).to.equal(false);
    expect(errors).to.deep.equal([]);
  });
});

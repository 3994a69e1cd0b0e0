// Keyboard-only use of the console: sign in, search with /, move with j/k, close with c, open with Enter,
// the ? list, and focus that is always visible.
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import {
  type ConsoleServer,
  consoleServer,
  createPublicRequest,
  publicRequest,
  signInLinkPath,
  freshPagePerTest,
} from './console-support.js';
import { expectNoAxeViolations } from './support.js';

async function focusedHasVisibleOutline(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLElement | null;
    if (!element || element === document.body) return false;
    const style = getComputedStyle(element);
    return (style.outlineStyle !== 'none' && style.outlineWidth !== '0px') || style.boxShadow !== 'none';
  });
}

async function tabTo(page: Page, name: string | RegExp, limit = 80): Promise<void> {
  for (let step = 0; step < limit; step += 1) {
    await page.keyboard.press('Tab');
    const label = await page.evaluate(() => {
      const element = document.activeElement as HTMLElement | null;
      return (element?.getAttribute('aria-label') ?? element?.textContent ?? '').trim();
    });
    if (typeof name === 'string' ? label === name : name.test(label)) {
      expect(await focusedHasVisibleOutline(page), `focus on ${label} is visible`).to.equal(true);
      return;
    }
  }
  throw new Error(`Tab never reached ${String(name)}`);
}

describe('staff console: keyboard', () => {
  let server: ConsoleServer;
  let page: Page;
  let errors: string[];

  before(async () => {
    server = await consoleServer();
  });
  freshPagePerTest((fresh) => ({ page, errors } = fresh));

  it('triages with the keyboard alone: sign in, /, j/k, c, Enter, ?', async () => {
    const word = `keyword${Date.now().toString(36)}`;
    const first = await createPublicRequest(server, { service_code: 'GRAFFITI', description: `Tag one ${word}` });
    const second = await createPublicRequest(server, { service_code: 'GRAFFITI', description: `Tag two ${word}` });
    await page.goto(`${server.url}${await signInLinkPath(server)}`);
    // The skip link is the first stop; then Tab reaches the link's sign-in button.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).to.equal('Skip to main content');
    expect(await focusedHasVisibleOutline(page)).to.equal(true);
    await tabTo(page, 'Sign in');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/staff\/account/);
    await tabTo(page, 'Queue');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Queue' }).waitFor();
    // A new page's text can be painted before its deferred scripts (the shortcuts) have run: after each
    // navigation the test waits for the load event before it presses a shortcut.
    await page.waitForLoadState('load');

    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('filter-q');
    await page.keyboard.type(word);
    await page.keyboard.press('Enter');
    await page.getByText('Showing 1–2 of 2 requests.').waitFor();
    await page.waitForLoadState('load');

    // Newest first: j lands on the second request, j again on the first, k goes back.
    await page.keyboard.press('j');
    expect(await page.evaluate(() => document.activeElement?.textContent)).to.equal(second);
    await page.keyboard.press('j');
    expect(await page.evaluate(() => document.activeElement?.textContent)).to.equal(first);
    expect(await focusedHasVisibleOutline(page)).to.equal(true);
    await page.keyboard.press('k');
    expect(await page.evaluate(() => document.activeElement?.textContent)).to.equal(second);

    // c: the current request is selected for a close, and the focus goes to the note.
    await page.keyboard.press('c');
    expect(await page.getByLabel(`Select request ${second}`).isChecked()).to.equal(true);
    expect(await page.getByLabel(`Select request ${first}`).isChecked()).to.equal(false);
    expect(await page.getByLabel('With the selected requests').inputValue()).to.equal('close');
    // With templates, c lands on the template choice (the note is the next stop); without, on the note.
    if ((await page.evaluate(() => document.activeElement?.id)) === 'bulk-template') await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('bulk-note');
    await page.keyboard.type('Cleaned off.');
    await tabTo(page, 'Apply to selected');
    await page.keyboard.press('Enter');
    await page.getByText('1 request changed.').waitFor();
    await page.waitForLoadState('load');
    const answer = await publicRequest(server, second);
    expect(answer.status).to.equal('closed');
    expect(answer.status_notes).to.equal('Cleaned off.');

    // a: the current request is assigned to me.
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    expect(await page.evaluate(() => document.activeElement?.textContent)).to.equal(first);
    await page.keyboard.press('a');
    await page.getByText('1 request changed.').waitFor();
    await page.waitForLoadState('load');
    const assigned = await fetch(`${server.url}/api/v1/requests/${first}`, {
      headers: { Authorization: `Bearer ${server.staffKey}` },
    });
    expect(((await assigned.json()) as { assigned_to: { name: string } | null }).assigned_to?.name).to.equal(
      server.staffPerson.display_name,
    );

    // ? lists the shortcuts in a dialog; Escape closes it.
    await page.keyboard.press('?');
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    await expectNoAxeViolations(page, 'the shortcuts dialog');
    await page.keyboard.press('Escape');
    expect(await page.getByRole('dialog').count()).to.equal(0);

    // Enter opens the current request.
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: /^Request \d+: Graffiti$/ }).waitFor();
    // Every action of the request page is reachable by Tab, with visible focus.
    await tabTo(page, 'Save status and note');
    await tabTo(page, 'Add internal note');
    expect(errors).to.deep.equal([]);
  });
});

// The API reference page (/docs) in Chromium: Swagger UI, served by this server, renders the operations of
// /openapi.json under the pages' strict CSP, with no script error, no CSP violation and no axe violation.
import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { collectPageErrors, expectNoAxeViolations, newContext } from './support.js';
import { type SiteUnderTest, startSite } from './site-support.js';

describe('API reference page (/docs)', function () {
  this.timeout(180_000);
  let site: SiteUnderTest;
  let context: BrowserContext | undefined;

  before(async () => {
    site = await startSite();
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });
  after(async () => {
    await site?.close();
  });

  async function open(): Promise<{ page: Page; errors: string[]; violations: () => Promise<string[]> }> {
    context = await newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    // CSP violations are reported to the page as events (besides the console): keep them all.
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = seen;
      document.addEventListener('securitypolicyviolation', (event) =>
        seen.push(`${event.violatedDirective} ${event.blockedURI}`),
      );
    });
    const errors = collectPageErrors(page);
    const violations = () => page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
    return { page, errors, violations };
  }

  it('renders the operations of /openapi.json (GeoReport and staff), with no script error or CSP violation', async () => {
    const { page, errors, violations } = await open();
    const response = await page.goto(`${site.url}/docs`);
    expect(response?.status()).to.equal(200);
    expect(response?.headers()['content-security-policy']).to.include("script-src 'self'");
    const services = page.locator('.opblock-get', { has: page.locator('[data-path="/services.{format}"]') });
    await services.waitFor({ state: 'visible' });
    expect(await services.locator('.opblock-summary-method').textContent()).to.equal('GET');
    await page.locator('[data-path="/api/v1/requests"]').first().waitFor({ state: 'visible' });
    // An operation opens to its parameters.
    await services.locator('.opblock-summary-control').click();
    await services.locator('.parameters-container').waitFor({ state: 'visible' });
    expect(await services.locator('.parameters-container').textContent()).to.include('jurisdiction_id');
    expect(errors).to.deep.equal([]);
    expect(await violations()).to.deep.equal([]);
  });

  it('has no axe violations, operations closed or open (its pickers named, its example blocks reachable by keyboard)', async () => {
    const { page, errors } = await open();
    await page.goto(`${site.url}/docs`);
    const services = page.locator('.opblock-get', { has: page.locator('[data-path="/services.{format}"]') });
    await services.waitFor({ state: 'visible' });
    await expectNoAxeViolations(page, 'the API reference');
    await services.locator('.opblock-summary-control').click();
    await services.locator('.parameters-container').waitFor({ state: 'visible' });
    await expectNoAxeViolations(page, 'the API reference with GET /services.{format} open');
    expect(errors).to.deep.equal([]);
  });
});

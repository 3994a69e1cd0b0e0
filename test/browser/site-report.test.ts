// The resident site's report flow in a real Chromium: with the crosshair map by keyboard, address-only through
// the geocoder, with JavaScript off at 360 px, with a photo, "follow it instead", a validation error that keeps
// the form filled, and in Spanish. After each report the public API shows it. axe runs on every step.
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { collectPageErrors, expectNoAxeViolations } from './support.js';
import {
  apiRequest,
  confirmationNumber,
  expectNoAxeViolationsWithoutScripts,
  expectNoHorizontalScroll,
  type SiteUnderTest,
  siteUnderTest,
} from './site-support.js';

let site: SiteUnderTest;

const heading = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name });

/** Past the duplicates step when earlier runs (a shared PostgreSQL database) left open reports nearby. */
async function passDuplicates(page: Page): Promise<void> {
  await page
    .locator('h1')
    .filter({ hasText: /Has it already been reported|How can we contact you/ })
    .waitFor();
  if (await heading(page, 'Has it already been reported?').count()) {
    await page.getByRole('button', { name: 'None of these – continue' }).click();
  }
}

/** A small real JPEG (drawn by the browser) with an EXIF segment carrying a marker the stored copy must lose. */
async function jpegWithExif(page: Page): Promise<Buffer> {
  const dataUrl = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 48;
    const context = canvas.getContext('2d')!;
    context.fillStyle = '#c33';
    context.fillRect(0, 0, 64, 48);
    return canvas.toDataURL('image/jpeg', 0.9);
  });
  const jpeg = Buffer.from(dataUrl.split(',')[1]!, 'base64');
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), Buffer.from('GPS-SECRET-39.7136,-82.5993', 'latin1')]);
  const segment = Buffer.alloc(4);
  segment.writeUInt16BE(0xffe1, 0);
  segment.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), segment, payload, jpeg.subarray(2)]);
}

describe('resident site: report flow', function () {
  this.timeout(180_000);
  const { open } = siteUnderTest((started) => (site = started));

  it('reports with the crosshair map and a required question, by keyboard; the track page and the API show it', async () => {
    const page = await open();
    const errors = collectPageErrors(page);
    await page.goto(`${site.url}/`);
    await expectNoAxeViolations(page, 'the home page');
    await page.getByRole('link', { name: 'Start a report' }).focus();
    await page.keyboard.press('Enter');
    await heading(page, 'Where is the problem?').waitFor();
    const map = page.locator('#report-map');
    await map.waitFor({ state: 'visible' });
    await page.waitForFunction(() => document.querySelectorAll('.leaflet-tile-loaded').length > 0);
    expect(site.tileRequests()).to.be.greaterThan(0);
    await expectNoAxeViolations(page, 'the where step with its map');
    // The map, not the pin, moves: arrow keys pan it and the crosshair's point becomes the pin.
    await map.focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowUp');
    await page.getByText(/^Map point 39\.\d+, -82\.\d+$/).waitFor();
    const lat = Number(await page.locator('input[name="lat"]').inputValue());
    const long = Number(await page.locator('input[name="long"]').inputValue());
    expect(lat).to.be.within(39.7, 39.73);
    expect(long).to.be.within(-82.62, -82.58);
    await page.getByRole('button', { name: 'Continue' }).focus();
    await page.keyboard.press('Enter');

    await heading(page, 'What is the problem?').waitFor();
    await expectNoAxeViolations(page, 'the what step');
    await page.getByLabel('Search the list').focus();
    await page.keyboard.type('pothole');
    expect(await page.getByRole('radio', { name: 'Graffiti' }).isVisible()).to.equal(false);
    await page.getByRole('radio', { name: 'Pothole' }).focus();
    await page.keyboard.press('Space');
    await page.getByRole('button', { name: 'Continue' }).focus();
    await page.keyboard.press('Enter');

    await heading(page, 'Tell us about the problem: Pothole').waitFor();
    await expectNoAxeViolations(page, 'the details step');
    await page.getByRole('radio', { name: 'About the size of a car tire' }).focus();
    await page.keyboard.press('Space');
    await page.getByRole('checkbox', { name: 'Bike lane' }).focus();
    await page.keyboard.press('Space');
    await page.getByLabel('Anything else we should know?').focus();
    await page.keyboard.type('Deep pothole by the bus stop');
    await page.getByRole('button', { name: 'Continue' }).focus();
    await page.keyboard.press('Enter');
    await passDuplicates(page);

    await heading(page, 'How can we contact you? (optional)').waitFor();
    await expectNoAxeViolations(page, 'the contact step');
    await page.getByLabel('Email address').focus();
    await page.keyboard.type('resident@example.com');
    await page.getByRole('button', { name: 'Continue' }).focus();
    await page.keyboard.press('Enter');

    await heading(page, 'Check your answers before sending your report').waitFor();
    await expectNoAxeViolations(page, 'the review step');
    const review = await page.locator('.summary-list').innerText();
    expect(review).to.include('Pothole').and.include('About the size of a car tire').and.include('Bike lane');
    expect(review).to.include('resident@example.com');
    await page.getByRole('button', { name: 'Send report' }).focus();
    await page.keyboard.press('Enter');

    const id = await confirmationNumber(page);
    await expectNoAxeViolations(page, 'the confirmation page');
    const stored = await apiRequest(site, id);
    expect(stored.service_code).to.equal('POTHOLE');
    expect(stored.description).to.equal('Deep pothole by the bus stop');
    expect(stored.lat as number).to.be.closeTo(lat, 0.00001);
    expect(stored.long as number).to.be.closeTo(long, 0.00001);
    expect((stored.extended_attributes as { channel: string }).channel).to.equal('web');
    // Contact details are never public.
    expect(JSON.stringify(stored)).not.to.include('resident@example.com');

    await page.getByRole('link', { name: 'Track your report' }).click();
    await heading(page, `Request ${id}`).waitFor();
    await page.locator('#track-map').waitFor({ state: 'visible' });
    await expectNoAxeViolations(page, 'the track page');
    expect(await page.locator('.status-line').innerText()).to.include('Open');
    expect(await page.getByText('Report received').count()).to.equal(1);
    expect(errors).to.deep.equal([]);
  });

  it('reports without a map: the typed address is geocoded on submit (once, with our User-Agent)', async () => {
    site.places.set('100 main street', { lat: 39.7201, lon: -82.6012, display_name: '100 Main Street, Lancaster, Ohio' });
    const callsBefore = site.geocoderCalls.length;
    const page = await open();
    await page.goto(`${site.url}/report`);
    await page.getByRole('link', { name: 'I would rather not use a map' }).click();
    await heading(page, 'Where is the problem?').waitFor();
    expect(await page.locator('#report-map').count()).to.equal(0);
    await expectNoAxeViolations(page, 'the address-only where step');
    await page.getByLabel('Address or landmark').fill('100 Main Street');
    await page.getByRole('button', { name: 'Continue' }).click();
    await heading(page, 'What is the problem?').waitFor();
    expect(await page.getByText('Location: 100 Main Street, Lancaster, Ohio').count()).to.equal(1);
    expect(site.geocoderCalls.length - callsBefore).to.equal(1);
    expect(site.geocoderCalls.at(-1)!.userAgent).to.include('open311-server');
    await page.getByRole('radio', { name: 'Graffiti' }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await heading(page, 'Tell us about the problem: Graffiti').waitFor();
    await page.getByLabel('Anything else we should know?').fill('Tags on the library wall');
    await page.getByRole('button', { name: 'Continue' }).click();
    await passDuplicates(page);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Send report' }).click();
    const id = await confirmationNumber(page);
    const stored = await apiRequest(site, id);
    expect(stored.service_code).to.equal('GRAFFITI');
    expect(stored.address).to.equal('100 Main Street');
    expect(stored.lat).to.equal(39.7201);
    expect(stored.long).to.equal(-82.6012);
  });

  it('reports with JavaScript off at 360 px, and a double send creates one request', async () => {
    const page = await open({ javaScriptEnabled: false, width: 360, height: 740 });
    await page.goto(`${site.url}/report`);
    await heading(page, 'Where is the problem?').waitFor();
    expect(await page.locator('#report-map').isVisible()).to.equal(false);
    await expectNoHorizontalScroll(page, 'the where step');
    await expectNoAxeViolationsWithoutScripts(page, 'the where step without JavaScript');
    // Nothing the geocoder knows: the address is kept as typed.
    await page.getByLabel('Or type an address or landmark').fill('Behind the old fire station');
    await page.getByRole('button', { name: 'Continue' }).click();
    await heading(page, 'What is the problem?').waitFor();
    await expectNoHorizontalScroll(page, 'the what step');
    // The search works without scripts too: a plain submit.
    await page.getByLabel('Search the list').fill('light');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('1 matching').waitFor();
    await page.getByRole('radio', { name: 'Streetlight out' }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await heading(page, /Streetlight/).waitFor();
    await expectNoHorizontalScroll(page, 'the details step');
    await expectNoAxeViolationsWithoutScripts(page, 'the details step without JavaScript');
    const required = page.locator('fieldset').filter({ hasText: '(required)' }).first();
    await required.getByRole('radio').first().check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await passDuplicates(page);
    await heading(page, 'How can we contact you? (optional)').waitFor();
    await page.getByRole('button', { name: 'Continue' }).click();
    await heading(page, 'Check your answers before sending your report').waitFor();
    await expectNoHorizontalScroll(page, 'the review step');
    // The same send twice (a double click, a retried POST): one request.
    const body = await page.locator('#report-form').evaluate((form) => {
      const data = new URLSearchParams();
      for (const element of (form as HTMLFormElement).querySelectorAll<HTMLInputElement>('input[type=hidden]'))
        data.append(element.name, element.value);
      data.append('action', 'send');
      data.append('website', '');
      return data.toString();
    });
    const send = () =>
      page.request.post(`${site.url}/report/review`, {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        data: body,
        maxRedirects: 0,
      });
    const [first, second] = await Promise.all([send(), send()]);
    expect(first.status()).to.equal(303);
    expect(second.headers().location).to.equal(first.headers().location);
    await page.getByRole('button', { name: 'Send report' }).click();
    const id = await confirmationNumber(page);
    expect(first.headers().location).to.equal(`/report/sent?request=${id}`);
    const stored = await apiRequest(site, id);
    expect(stored.service_code).to.equal('STREETLIGHT');
    expect(stored.address).to.equal('Behind the old fire station');
    expect(stored.lat).to.equal(null);
  });

  it('reports with a photo whose stored copy has no metadata; HEIC is refused with a clear message', async () => {
    const page = await open({ javaScriptEnabled: false });
    await page.goto(`${site.url}/report?map=off`);
    await page.getByLabel('Address or landmark').fill('12 Photo Lane');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('radio', { name: 'Sidewalk' }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await heading(page, /Sidewalk/).waitFor();
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(64)]);
    await page.getByLabel('Photos').setInputFiles({ name: 'IMG_0001.HEIC', mimeType: 'image/heic', buffer: heic });
    await page.getByLabel('Anything else we should know?').fill('Cracked slab');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
    expect(await page.locator('.error-summary').innerText()).to.include('HEIC');
    expect(await page.getByLabel('Anything else we should know?').inputValue()).to.equal('Cracked slab');
    await expectNoAxeViolationsWithoutScripts(page, 'the details step with a photo error');

    const jpeg = await jpegWithExif(page);
    expect(jpeg.includes('GPS-SECRET')).to.equal(true);
    await page.getByLabel('Photos').setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    await page.getByRole('button', { name: 'Continue' }).click();
    await passDuplicates(page);
    await page.getByRole('button', { name: 'Continue' }).click();
    await heading(page, 'Check your answers before sending your report').waitFor();
    expect(await page.getByRole('img', { name: 'Photo 1 of the problem' }).count()).to.equal(1);
    await page.getByRole('button', { name: 'Send report' }).click();
    const id = await confirmationNumber(page);
    const stored = await apiRequest(site, id);
    const mediaUrl = stored.media_url as string;
    expect(mediaUrl).to.match(/\/media\/.+\.jpg$/);
    const photo = Buffer.from(await (await fetch(mediaUrl)).arrayBuffer());
    expect(photo.subarray(0, 2).toString('hex')).to.equal('ffd8');
    expect(photo.includes('GPS-SECRET')).to.equal(false);
    expect(photo.includes('Exif')).to.equal(false);
  });

  it('shrinks large photos in the browser to at most 2048 px before upload, and sends several', async () => {
    const page = await open();
    const errors = collectPageErrors(page);
    await page.goto(`${site.url}/report?map=off`);
    await page.getByLabel('Address or landmark').fill('8 Big Photo Street');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('radio', { name: 'Sidewalk' }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await heading(page, /Sidewalk/).waitFor();
    // A 3000 × 1500 PNG straight from a camera-sized canvas, and a small JPEG.
    // No named functions inside evaluate: the test runner's transform would name them with a helper the page lacks.
    const [large, small] = await page.evaluate(async () => {
      const drawn: number[][] = [];
      for (const [width, height, type] of [
        [3000, 1500, 'image/png'],
        [64, 48, 'image/jpeg'],
      ] as Array<[number, number, string]>) {
        const canvas = document.createElement('canvas');
        canvas.width = width;
        canvas.height = height;
        const context = canvas.getContext('2d')!;
        context.fillStyle = '#2a6';
        context.fillRect(0, 0, width, height);
        context.fillStyle = '#fff';
        context.fillRect(width / 4, height / 4, width / 2, height / 2);
        const blob = await new Promise<Blob>((resolve) => canvas.toBlob((made) => resolve(made!), type, 0.9));
        drawn.push([...new Uint8Array(await blob.arrayBuffer())]);
      }
      return drawn;
    });
    await page.getByLabel('Photos').setInputFiles([
      { name: 'wide.png', mimeType: 'image/png', buffer: Buffer.from(large!) },
      { name: 'small.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(small!) },
    ]);
    await page.getByLabel('Anything else we should know?').fill('Two photos of the slab');
    await page.getByRole('button', { name: 'Continue' }).click();
    await passDuplicates(page);
    await page.getByRole('button', { name: 'Continue' }).click();
    await heading(page, 'Check your answers before sending your report').waitFor();
    expect(await page.getByRole('img', { name: /^Photo \d of the problem$/ }).count()).to.equal(2);
    await page.getByRole('button', { name: 'Send report' }).click();
    const id = await confirmationNumber(page);
    // The track page shows both photos (loaded, not broken).
    await page.getByRole('link', { name: 'Track your report' }).click();
    await heading(page, `Request ${id}`).waitFor();
    const shown = page.getByRole('img', { name: /^Photo \d of the problem$/ });
    expect(await shown.count()).to.equal(2);
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('.photo-list__image')].every(
        (image) => image.complete && image.naturalWidth > 0,
      ),
    );
    await expectNoAxeViolations(page, 'the track page with photos');
    expect(errors).to.deep.equal([]);
    const stored = await apiRequest(site, id);
    const urls = (stored.extended_attributes as { media_urls: string[] }).media_urls;
    expect(urls).to.have.length(2);
    const sizes: Array<[number, number]> = [];
    for (const url of urls) {
      await page.goto(url);
      sizes.push(await page.evaluate(() => [document.images[0]!.naturalWidth, document.images[0]!.naturalHeight]));
    }
    // The wide one was redrawn at 2048 px across, keeping its shape; the small one keeps its size.
    expect(sizes.sort((a, b) => b[0] - a[0])).to.deep.equal([
      [2048, 1024],
      [64, 48],
    ]);
  });

  it('shows open reports of the same service nearby: "this is it — follow it instead"', async () => {
    const point = { lat: 39.7305, long: -82.6105 };
    const created = await fetch(`${site.url}/open311/v2/requests.json`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        api_key: site.apiKey,
        service_code: 'POTHOLE',
        lat: String(point.lat),
        long: String(point.long),
        'attribute[SIZE]': 'LARGE',
        description: 'Huge pothole at the mill',
      }),
    });
    expect(created.status).to.equal(200);
    const existing = ((await created.json()) as Array<{ service_request_id: string }>)[0]!.service_request_id;
    site.places.set('old mill road', { lat: point.lat, lon: point.long, display_name: 'Old Mill Road, Lancaster' });
    const page = await open({ javaScriptEnabled: false });
    await page.goto(`${site.url}/report?map=off`);
    await page.getByLabel('Address or landmark').fill('Old Mill Road');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('radio', { name: 'Pothole' }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('radio', { name: 'Larger than a car tire' }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await heading(page, 'Has it already been reported?').waitFor();
    await expectNoAxeViolationsWithoutScripts(page, 'the duplicates step');
    const card = page.getByRole('listitem').filter({ hasText: `Request ${existing}` });
    expect(await card.innerText())
      .to.include('Huge pothole at the mill')
      .and.include('Open');
    await card.getByRole('link', { name: /This is it – follow it instead/ }).click();
    await heading(page, `Request ${existing}`).waitFor();
    await apiRequest(site, existing);
  });

  it('keeps everything typed when a step has errors, and links each error to its field', async () => {
    const page = await open();
    await page.goto(`${site.url}/report?map=off`);
    await page.getByRole('button', { name: 'Continue' }).click();
    await heading(page, /Where is the problem/).waitFor();
    expect(await page.title()).to.match(/^Error:/);
    await page.getByRole('link', { name: 'Enter an address or landmark' }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('field-address');
    await page.getByLabel('Address or landmark').fill('5 Error Street');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('radio', { name: 'Pothole' }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel(/how deep is it/).fill('very deep');
    await page.getByLabel('Anything else we should know?').fill('Keep this text');
    await page.getByRole('checkbox', { name: 'Crosswalk' }).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'There is a problem' }).waitFor();
    await expectNoAxeViolations(page, 'the details step with errors');
    const summary = await page.locator('.error-summary').innerText();
    expect(summary).to.include('Answer the question: How big is the pothole?');
    expect(summary).to.include('Enter a number for');
    // Beside the field too, and everything typed is still there.
    expect(await page.locator('#field-attribute-SIZE--error').innerText()).to.include('How big is the pothole?');
    expect(await page.getByLabel(/how deep is it/).inputValue()).to.equal('very deep');
    expect(await page.getByLabel('Anything else we should know?').inputValue()).to.equal('Keep this text');
    expect(await page.getByRole('checkbox', { name: 'Crosswalk' }).isChecked()).to.equal(true);
    await page.getByRole('link', { name: /Answer the question: How big/ }).click();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).to.equal('attribute[SIZE]');
  });

  it('speaks Spanish from Accept-Language, and switching language keeps the report', async () => {
    const page = await open({ locale: 'es-ES' });
    await page.goto(`${site.url}/`);
    await heading(page, 'Reporte un problema en Lancaster, Ohio').waitFor();
    expect(await page.locator('html').getAttribute('lang')).to.equal('es');
    await expectNoAxeViolations(page, 'the home page in Spanish');
    await page.getByRole('link', { name: 'Empezar un reporte' }).click();
    await heading(page, '¿Dónde está el problema?').waitFor();
    await page.getByLabel('O escriba una dirección o un lugar conocido').fill('Calle Mayor 7');
    await page.getByRole('button', { name: 'Continuar' }).click();
    await heading(page, '¿Cuál es el problema?').waitFor();
    await expectNoAxeViolations(page, 'the what step in Spanish');
    await page.getByRole('radio', { name: 'Graffiti' }).check();
    await page.getByRole('button', { name: 'English' }).click();
    await heading(page, 'What is the problem?').waitFor();
    expect(await page.getByText('Location: Calle Mayor 7').count()).to.equal(1);
    expect(await page.getByRole('radio', { name: 'Graffiti' }).isChecked()).to.equal(true);
    // The choice is kept in a cookie.
    await page.goto(`${site.url}/map`);
    await heading(page, 'Map of reports').waitFor();
    await page.getByRole('link', { name: 'Español' }).click();
    await heading(page, 'Mapa de reportes').waitFor();
  });
});

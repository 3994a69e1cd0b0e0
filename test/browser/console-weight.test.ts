// Page weight: every console page with everything it loads (HTML, CSS, scripts; map tiles excluded) is at most
// 200 KB gzip-compressed, and the 360 px layout does not scroll sideways.
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { answerTiles, consoleServer, createPublicRequest, signIn } from './console-support.js';
import { newContext } from './support.js';

describe('staff console: weight and narrow screens', () => {
  it('keeps every page under 200 KB compressed and usable at 360 px', async () => {
    const server = await consoleServer();
    // Unbroken words as long as the store allows (a long service code, a pasted link) must wrap, not widen the page.
    const longCode = `LONG_${'X'.repeat(40)}_${Date.now().toString(36)}`.toUpperCase();
    const created = await fetch(`${server.url}/api/v1/services`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.adminKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        service_code: longCode,
        service_name: `Signal${'s'.repeat(60)}`,
        description: 'A service whose code and name are single long words.',
        type: 'realtime',
        keywords: [],
        group: 'Streets',
        attributes: [],
      }),
    });
    expect(created.status, await created.clone().text()).to.equal(201);
    const id = await createPublicRequest(server, {
      service_code: 'GRAFFITI',
      description: `Weight check https://example.org/${'a'.repeat(120)}`,
    });
    const browser = await newContext({ width: 360, height: 800 });
    await answerTiles(browser);
    try {
      const page = await browser.newPage();
      await signIn(page, server, 'admin');
      for (const path of [
        '/staff/',
        '/staff/map',
        `/staff/requests/${id}`,
        `/staff/requests/${id}/work-order`,
        '/staff/trends',
        '/staff/admin/services',
        '/staff/admin/areas',
      ]) {
        const bodies: Buffer[] = [];
        const collect = async (response: import('playwright-core').Response) => {
          if (response.url().includes('tile.openstreetmap.org')) return;
          bodies.push(await response.body().catch(() => Buffer.alloc(0)));
        };
        page.on('response', collect);
        await page.goto(`${server.url}${path}`, { waitUntil: 'networkidle' });
        page.off('response', collect);
        const compressed = bodies.reduce((sum, body) => sum + gzipSync(body).length, 0);
        expect(compressed, `${path} weighs ${compressed} bytes compressed`).to.be.below(200 * 1024);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        const widest = await page.evaluate(() =>
          [...document.querySelectorAll('body *')]
            .filter((element) => element.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .slice(0, 5)
            .map((element) => `${element.tagName}.${element.className}#${element.id}`)
            .join(' '),
        );
        expect(overflow, `${path} scrolls sideways at 360 px: ${widest}`).to.be.at.most(0);
      }
    } finally {
      await browser.close();
    }
  });
});

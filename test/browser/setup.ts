// Root hooks of the browser suite: build the web assets once, then share one headless Chromium (Debian's
// package, driven by playwright-core) across the suite. Each test opens its own context and page.
import { buildWebAssets } from '../../src/web-assets.js';
import { closeConsoleServer } from './console-support.js';
import { closeBrowser } from './support.js';

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(120_000);
    await buildWebAssets();
  },
  async afterAll() {
    await closeBrowser();
    await closeConsoleServer();
  },
};

// The browser harness itself: Chromium starts, loads a page from a server of ours, and axe runs on it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { expectNoAxeViolations, newContext } from './support.js';

describe('browser harness', () => {
  it('drives Debian Chromium against a loopback page and runs axe', async () => {
    const server = http.createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(
        '<!doctype html><html lang="en"><head><title>Harness</title></head><body><main><h1>Hello</h1><button>Press</button></main></body></html>',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const context = await newContext();
    try {
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Hello');
      await expectNoAxeViolations(page, 'the harness page');
    } finally {
      await context.close();
      server.close();
    }
  });
});

// Staff sign-in in a real browser: a person added with the staff CLI (a real `npm run staff` process when
// the store is PostgreSQL, which a separate process can reach; the CLI's function in-process on the embedded
// store) follows the one-time link, confirms it, sets a password, signs out and signs in again by password,
// then sets up two-factor. axe checks every auth page on the way.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { runStaffCommand } from '../../src/cli/staff.js';
import { base32Decode, totp } from '../../src/domain/totp.js';
import { consoleServer } from './console-support.js';
import { collectPageErrors, expectNoAxeViolations, newContext } from './support.js';

const run = promisify(execFile);

async function addWithCli(email: string, name: string, publicUrl: string): Promise<string> {
  const server = await consoleServer();
  const argv = ['add', '--email', email, '--name', name, '--role', 'staff'];
  let output: string;
  if (process.env.DATABASE_URL) {
    const { stdout } = await run('npm', ['run', '--silent', 'staff', '--', ...argv], {
      env: { ...process.env, PUBLIC_URL: publicUrl, LOG_LEVEL: 'silent' },
      timeout: 90_000,
    });
    output = stdout;
  } else {
    output = await runStaffCommand(argv, server.db, { ...server.context.config, publicUrl });
  }
  const link = /(https?:\/\/\S+\/staff\/sign-in\/link\/[\w-]{43})/.exec(output)?.[1];
  if (!link) throw new Error(`no link in the CLI output: ${output}`);
  return link;
}

describe('staff sign-in pages (browser)', () => {
  it('signs in through a CLI link, sets a password, signs in by password and sets up two-factor; axe on each page', async () => {
    const server = await consoleServer();
    const email = `browser.${Date.now().toString(36)}@city.example`;
    const password = 'a browser password 2024';
    const link = await addWithCli(email, 'Bea Browser', server.url);
    expect(link.startsWith(`${server.url}/staff/sign-in/link/`)).to.equal(true);

    const context = await newContext({ width: 360, height: 800 });
    try {
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      await page.goto(link);
      await page.getByRole('heading', { level: 1, name: 'Sign in with your link' }).waitFor();
      await expectNoAxeViolations(page, 'the link confirmation page');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
      expect(await page.getByText('You are signed in. You can set a password').count()).to.equal(1);
      await expectNoAxeViolations(page, 'the account page');
      await page.getByLabel('New password (at least 12 characters)').fill(password);
      await page.getByRole('button', { name: 'Set password' }).click();
      await page.getByText('Your password is set.').waitFor();

      // The link worked once: a second visit says so.
      const again = await page.goto(link);
      expect(again?.status()).to.equal(404);
      await expectNoAxeViolations(page, 'the page of a used link');

      await page.goto(`${server.url}/staff/account`);
      await page.getByRole('button', { name: 'Sign out', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Staff sign-in' }).waitFor();
      // Signed out: the account page sends the browser to sign in, and back after.
      await page.goto(`${server.url}/staff/account`);
      expect(new URL(page.url()).search).to.equal('?next=%2Fstaff%2Faccount');
      await expectNoAxeViolations(page, 'the sign-in page');
      await page.getByLabel('E-mail address').fill(email);
      await page.getByLabel('Password').fill('not the password, surely');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').getByText('The e-mail address or password is not right.').waitFor();
      await expectNoAxeViolations(page, 'the sign-in page with an error');
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();

      await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
      const qr = page.getByRole('img', { name: 'QR code to add this account to an authenticator app' });
      await qr.waitFor();
      expect(await qr.getAttribute('src')).to.match(/^data:image\/svg\+xml;base64,/);
      await expectNoAxeViolations(page, 'the two-factor enrolment');
      const secret = (await page.locator('code').first().textContent())!.replace(/\s/g, '');
      await page.getByLabel('Code from the app').fill(totp(base32Decode(secret), Date.now() / 1000));
      await page.getByRole('button', { name: 'Turn two-factor sign-in on' }).click();
      await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
      expect(
        await page
          .getByRole('listitem')
          .filter({ hasText: /^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$/ })
          .count(),
      ).to.equal(10);
      await expectNoAxeViolations(page, 'the account page with recovery codes');

      // Password, then the code step.
      await page.getByRole('button', { name: 'Sign out', exact: true }).click();
      await page.goto(`${server.url}/staff/account`);
      await page.getByLabel('E-mail address').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Two-factor sign-in' }).waitFor();
      await expectNoAxeViolations(page, 'the two-factor step');
      await page
        .getByLabel('Code from your authenticator app, or a recovery code')
        .fill(totp(base32Decode(secret), Date.now() / 1000 + 30));
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
      expect(await page.getByText('Two-factor sign-in is on.').count()).to.equal(1);
      // The used link (404) and the wrong password (401) are pages answered with their status on purpose.
      const expected = /^Failed to load resource: the server responded with a status of (401|404) /;
      expect(errors.filter((error) => !expected.test(error))).to.deep.equal([]);
      expect(errors).to.have.length(2);
    } finally {
      await context.close();
    }
  });
});

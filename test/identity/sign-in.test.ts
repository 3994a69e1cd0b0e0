// Signing in as a person, against the real store: one-time links, passwords and their throttling, TOTP and
// recovery codes, session expiry, sign-out (here and everywhere), CSRF refusal, deactivation ending
// sessions, and the staff API accepting a session like a key.
import { expect } from 'chai';
import request from 'supertest';
import * as accounts from '../../src/domain/staff-accounts.js';
import { hashSessionId } from '../../src/domain/sessions.js';
import { base32Decode, totp } from '../../src/domain/totp.js';
import { csrfOf, makePerson, signInWithLink, tokenOf, type Agent } from '../helpers/staff-people.js';
import { ctx, unique } from '../helpers/test-server.js';

const PASSWORD = 'a long enough password 42';

async function withPassword(role: 'staff' | 'admin' = 'staff') {
  const account = await makePerson(role);
  const agent = await signInWithLink(account);
  const set = await agent
    .post('/staff/account/password')
    .type('form')
    .send({ _csrf: await csrfOf(agent), new_password: PASSWORD });
  expect(set.status, set.text).to.equal(200);
  return { account, agent };
}

async function passwordSignIn(email: string, password: string, agent: Agent = request.agent(ctx().app)) {
  const answer = await agent.post('/staff/sign-in').type('form').send({ email, password, next: '/staff/account' });
  return { agent, answer };
}

async function enableTwoFactor(agent: Agent): Promise<{ secret: string; recoveryCodes: string[] }> {
  const started = await agent
    .post('/staff/account/two-factor/start')
    .type('form')
    .send({ _csrf: await csrfOf(agent) });
  const secret = /Key: <code>([A-Z2-7 ]+)<\/code>/.exec(started.text)![1]!.replace(/ /g, '');
  expect(started.text).to.match(/<img src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+"/);
  const code = totp(base32Decode(secret), Date.now() / 1000);
  const confirmed = await agent
    .post('/staff/account/two-factor/confirm')
    .type('form')
    .send({ _csrf: await csrfOf(agent), code });
  expect(confirmed.status, confirmed.text).to.equal(200);
  const recoveryCodes = [...confirmed.text.matchAll(/<li><code>([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})<\/code><\/li>/g)].map(
    (match) => match[1]!,
  );
  expect(recoveryCodes).to.have.length(10);
  return { secret, recoveryCodes };
}

const sessionCookie = (answer: request.Response): string | undefined =>
  ([] as string[]).concat(answer.headers['set-cookie'] ?? []).find((cookie) => cookie.startsWith('open311_session='));

// Every supertest request comes from the loopback address: the failures that tests make on purpose add up
// there, and a store reused within 15 minutes (a second run on one database) would throttle the next run's
// right passwords. Tests that check the per-address limit make their own addresses. (In each describe: a
// hook at the top of a file would run before every test of the whole suite.)
function forgetLoopbackFailures(): void {
  beforeEach(async () => {
    await ctx().db('staff_sign_in_failures').where('subject', 'like', 'address:%127.0.0.1').delete();
  });
}

describe('staff sign-in: one-time links', () => {
  forgetLoopbackFailures();

  it('shows a button on GET (the link survives prefetching), signs in on POST, and works only once', async () => {
    const account = await makePerson();
    const link = await accounts.issueSignInLink(ctx().db, account, 'test', ctx().config.publicUrl);
    expect(link.url).to.match(/^http:\/\/311\.test\.example\/staff\/sign-in\/link\/[\w-]{43}$/);
    expect(link.expires_at.getTime() - Date.now()).to.be.closeTo(24 * 3_600_000, 60_000);
    const path = new URL(link.url).pathname;
    const agent = request.agent(ctx().app);
    for (let index = 0; index < 2; index++) {
      const shown = await agent.get(path);
      expect(shown.status).to.equal(200);
      expect(shown.text).to.include('<button type="submit">Sign in</button>');
    }
    const used = await agent.post(path).type('form').send('');
    expect(used.status).to.equal(303);
    expect(used.headers.location).to.equal('/staff/account?welcome=1');
    const cookie = sessionCookie(used)!;
    expect(cookie)
      .to.match(/HttpOnly/i)
      .and.match(/SameSite=Lax/i);
    expect(cookie).to.not.match(/Secure/i);
    const page = await agent.get('/staff/account?welcome=1');
    expect(page.status).to.equal(200);
    expect(page.text).to.include(account.email).and.include('set a password');
    // The store has only hashes: neither the token nor the session id is in it.
    const stored = JSON.stringify(await ctx().db('staff_sign_in_links').where({ staff_account_id: account.id }));
    expect(stored).to.not.include(tokenOf(link.url));
    const sessionId = /open311_session=([^;]+)/.exec(cookie)![1]!;
    const sessions = await ctx().db('staff_sessions').where({ staff_account_id: account.id });
    expect(sessions.map((row) => row.id_hash)).to.deep.equal([hashSessionId(sessionId)]);

    const again = await request(ctx().app).post(path).type('form').send('');
    expect(again.status).to.equal(404);
    expect(again.headers['content-type']).to.match(/text\/html/);
    expect(again.text).to.include('not valid');
    expect((await request(ctx().app).get(path)).status).to.equal(404);
  });

  it('refuses unknown, malformed and expired links with the same page, and a link posted from another site', async () => {
    const account = await makePerson();
    const link = await accounts.issueSignInLink(
      ctx().db,
      account,
      'test',
      ctx().config.publicUrl,
      new Date(Date.now() - 25 * 3_600_000),
    );
    const unknown = await request(ctx().app).get(`/staff/sign-in/link/${'A'.repeat(43)}`);
    const malformed = await request(ctx().app).get('/staff/sign-in/link/short');
    const expired = await request(ctx().app).get(new URL(link.url).pathname);
    for (const answer of [unknown, malformed, expired]) {
      expect(answer.status).to.equal(404);
      expect(answer.text).to.include('This sign-in link is not valid');
    }
    const fresh = await accounts.issueSignInLink(ctx().db, account, 'test', ctx().config.publicUrl);
    const foreign = await request(ctx().app)
      .post(new URL(fresh.url).pathname)
      .set('Origin', 'https://evil.example')
      .type('form')
      .send('');
    expect(foreign.status).to.equal(403);
    // Not used up by the refused try.
    expect(await accounts.signInLinkUsable(ctx().db, tokenOf(fresh.url))).to.equal(true);
  });

  it('the staff CLI adds a person with a link, makes new links, lists and disables', async () => {
    const { runStaffCommand } = await import('../../src/cli/staff.js');
    const email = `${unique('cli')}@city.example`;
    const added = await runStaffCommand(
      ['add', '--email', email, '--name', 'Casey CLI', '--role', 'admin'],
      ctx().db,
      ctx().config,
    );
    expect(added).to.match(/Created admin account #\d+ for Casey CLI/);
    const url = /(http:\/\/311\.test\.example\/staff\/sign-in\/link\/[\w-]{43})/.exec(added)![1]!;
    expect(await accounts.signInLinkUsable(ctx().db, tokenOf(url))).to.equal(true);
    const linked = await runStaffCommand(['link', '--email', email], ctx().db, ctx().config);
    expect(linked).to.match(/sign-in\/link\/[\w-]{43}/);
    expect(await runStaffCommand(['list'], ctx().db, ctx().config)).to.include(`${email}\tadmin\tactive\tno password\tCasey CLI`);
    for (const command of ['add', 'link', 'list', 'disable'])
      expect(await runStaffCommand([command, '--help'], ctx().db, ctx().config)).to.match(/^Usage: npm run staff -- /);
    expect(await runStaffCommand(['disable', '--email', email], ctx().db, ctx().config)).to.match(/Deactivated/);
    expect(await accounts.signInLinkUsable(ctx().db, tokenOf(url))).to.equal(false);
    expect(await runStaffCommand(['list'], ctx().db, ctx().config)).to.include(`${email}\tadmin\tdeactivated`);
    // The audit trail names the command line for each change.
    const id = /account #(\d+)/.exec(added)![1]!;
    const trail = await ctx().db('audit_log').where({ entity_type: 'staff_account', entity_id: id }).orderBy('id');
    expect(trail.map((entry) => [entry.action, entry.actor_name, entry.actor_staff_id, entry.actor_key_id])).to.deep.equal([
      ['create', 'command line', null, null],
      ['sign_in_link', 'command line', null, null],
      ['deactivate', 'command line', null, null],
    ]);
  });

  it('makes the first admin with a link only when there is no staff account', async () => {
    // This run's store already has accounts: nothing is made.
    await makePerson();
    expect(await accounts.ensureFirstAdmin(ctx().db, 'first@city.example', ctx().config.publicUrl)).to.equal(undefined);
  });
});

describe('staff sign-in: passwords', () => {
  forgetLoopbackFailures();

  it('signs in with the right password (a new session id each time) and refuses short passwords', async () => {
    const { account, agent } = await withPassword();
    const short = await agent
      .post('/staff/account/password')
      .type('form')
      .send({ _csrf: await csrfOf(agent), current_password: PASSWORD, new_password: 'too short' });
    expect(short.status).to.equal(400);
    expect(short.text).to.include('at least 12 characters');
    const first = await passwordSignIn(account.email.toUpperCase(), PASSWORD);
    expect(first.answer.status).to.equal(303);
    expect(first.answer.headers.location).to.equal('/staff/account');
    const second = await passwordSignIn(account.email, PASSWORD, first.agent);
    expect(sessionCookie(second.answer)).to.not.equal(sessionCookie(first.answer));
    // The old id no longer works after the new sign-in (no fixation, no leftovers).
    const oldCookie = sessionCookie(first.answer)!.split(';')[0]!;
    expect((await request(ctx().app).get('/api/v1/me').set('Cookie', oldCookie)).status).to.equal(401);
    expect((await second.agent.get('/api/v1/me')).body.email).to.equal(account.email);
    const stored = await ctx().db('staff_accounts').select('password_hash').where({ id: account.id }).first();
    expect(stored.password_hash).to.match(/^scrypt\$/);
  });

  it('a changed password signs out every other session of the person and keeps the one that changed it', async () => {
    const { account, agent: first } = await withPassword();
    // A session signed in by password (not just by a link) must give the current password to change it.
    const { agent, answer } = await passwordSignIn(account.email, PASSWORD);
    expect(answer.status).to.equal(303);
    const change = (current: string) =>
      csrfOf(agent).then((token) =>
        agent
          .post('/staff/account/password')
          .type('form')
          .send({ _csrf: token, current_password: current, new_password: `${PASSWORD} new` }),
      );
    const wrongCurrent = await change('not the current one');
    expect(wrongCurrent.status).to.equal(400);
    expect((await first.get('/api/v1/me')).status, 'a refused change ends nothing').to.equal(200);
    const changed = await change(PASSWORD);
    expect(changed.status, changed.text).to.equal(200);
    expect(changed.text).to.include('Your other session has been signed out.');
    expect((await first.get('/api/v1/me')).status).to.equal(401);
    expect((await agent.get('/api/v1/me')).body.email).to.equal(account.email);
    expect((await passwordSignIn(account.email, `${PASSWORD} new`)).answer.status).to.equal(303);
  });

  it('answers an unknown e-mail exactly like a wrong password, and throttles per account', async () => {
    const { account } = await withPassword();
    const wrong = await passwordSignIn(account.email, 'not the password at all');
    const unknown = await passwordSignIn(`${unique('nobody')}@city.example`, 'not the password at all');
    expect(wrong.answer.status).to.equal(401);
    expect(unknown.answer.status).to.equal(401);
    const message = (text: string) => /<div role="alert"><p>([^<]+)<\/p>/.exec(text)![1];
    expect(message(wrong.answer.text))
      .to.equal(message(unknown.answer.text))
      .and.equal('The e-mail address or password is not right.');
    for (let index = 0; index < 4; index++) await passwordSignIn(account.email, 'still not the password');
    // Five failures: even the right password is refused for now, with Retry-After; so is an unknown e-mail's sixth try.
    const throttled = await passwordSignIn(account.email, PASSWORD);
    expect(throttled.answer.status).to.equal(429);
    expect(Number(throttled.answer.headers['retry-after'])).to.be.greaterThan(0);
    const ghost = `${unique('ghost')}@city.example`;
    for (let index = 0; index < 5; index++) await passwordSignIn(ghost, 'wrong password here');
    const ghostThrottled = await passwordSignIn(ghost, 'wrong password here');
    expect(ghostThrottled.answer.status).to.equal(429);
    expect(message(ghostThrottled.answer.text)).to.equal(message(throttled.answer.text));
    // After the window the account may try again.
    await ctx()
      .db('staff_sign_in_failures')
      .where({ subject: `account:${account.email.toLowerCase()}` })
      .update({
        failed_at: new Date(Date.now() - 16 * 60_000),
      });
    expect((await passwordSignIn(account.email, PASSWORD)).answer.status).to.equal(303);
  });

  it('re-hashes a password made with older parameters at its next sign-in', async () => {
    const { account } = await withPassword();
    const { hashPassword } = await import('../../src/domain/passwords.js');
    await ctx()
      .db('staff_accounts')
      .where({ id: account.id })
      .update({ password_hash: await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 }) });
    expect((await passwordSignIn(account.email, PASSWORD)).answer.status).to.equal(303);
    const stored = await ctx().db('staff_accounts').select('password_hash').where({ id: account.id }).first();
    expect(stored.password_hash).to.match(/^scrypt\$32768\$8\$1\$/);
    // The new hash still takes the same password.
    expect((await passwordSignIn(account.email, PASSWORD)).answer.status).to.equal(303);
  });

  it('throttles per address across accounts', async () => {
    const address = `address:${unique('203.0.113')}`;
    await ctx()
      .db('staff_sign_in_failures')
      .insert(Array.from({ length: 30 }, () => ({ subject: address })));
    await expectThrottledAt(address.slice('address:'.length));
  });
});

async function expectThrottledAt(address: string): Promise<void> {
  const account = await makePerson();
  try {
    await accounts.signInWithPassword(ctx().db, { email: account.email, password: 'whatever it is', address });
    expect.fail('not throttled');
  } catch (error) {
    expect((error as { status: number }).status).to.equal(429);
  }
}

describe('staff sign-in: two-factor', () => {
  forgetLoopbackFailures();

  it('asks for a TOTP code after the password; a code works once; recovery codes work once each', async () => {
    const { account, agent } = await withPassword();
    const { secret, recoveryCodes } = await enableTwoFactor(agent);
    const step1 = await passwordSignIn(account.email, PASSWORD);
    expect(step1.answer.status).to.equal(303);
    expect(step1.answer.headers.location).to.equal('/staff/sign-in/verify?next=%2Fstaff%2Faccount');
    // Half signed in: nothing is reachable yet.
    expect((await step1.agent.get('/api/v1/me')).status).to.equal(401);
    expect((await step1.agent.get('/staff/account')).status).to.equal(303);
    const verifyPage = await step1.agent.get('/staff/sign-in/verify?next=%2Fstaff%2Faccount');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(verifyPage.text)![1]!;
    const bad = await step1.agent
      .post('/staff/sign-in/verify')
      .type('form')
      .send({ _csrf: csrf, code: '000000', next: '/staff/account' });
    expect(bad.status).to.equal(401);
    // The code of the enrolment step was used already: a fresh one from the next step is needed.
    const code = totp(base32Decode(secret), Date.now() / 1000 + 30);
    const good = await step1.agent.post('/staff/sign-in/verify').type('form').send({ _csrf: csrf, code, next: '/staff/account' });
    expect(good.status).to.equal(303);
    expect(good.headers.location).to.equal('/staff/account');
    expect(sessionCookie(good)).to.not.equal(sessionCookie(step1.answer));
    expect((await step1.agent.get('/api/v1/me')).status).to.equal(200);

    // Replaying the same code elsewhere fails.
    const other = await passwordSignIn(account.email, PASSWORD);
    const otherCsrf = /name="_csrf" value="([^"]+)"/.exec((await other.agent.get('/staff/sign-in/verify')).text)![1]!;
    const replay = await other.agent.post('/staff/sign-in/verify').type('form').send({ _csrf: otherCsrf, code });
    expect(replay.status).to.equal(401);
    const recovered = await other.agent
      .post('/staff/sign-in/verify')
      .type('form')
      .send({ _csrf: otherCsrf, code: recoveryCodes[0] });
    expect(recovered.status).to.equal(303);
    const third = await passwordSignIn(account.email, PASSWORD);
    const thirdCsrf = /name="_csrf" value="([^"]+)"/.exec((await third.agent.get('/staff/sign-in/verify')).text)![1]!;
    expect(
      (await third.agent.post('/staff/sign-in/verify').type('form').send({ _csrf: thirdCsrf, code: recoveryCodes[0] })).status,
    ).to.equal(401);
    expect(
      (await third.agent.post('/staff/sign-in/verify').type('form').send({ _csrf: thirdCsrf, code: recoveryCodes[1] })).status,
    ).to.equal(303);
    const page = await third.agent.get('/staff/account');
    expect(page.text).to.include('8 unused recovery codes left');
  });

  it('throttles wrong codes per account and per address; a right password does not reset the count', async () => {
    const { account, agent } = await withPassword();
    const { secret } = await enableTwoFactor(agent);
    const fresh = await accounts.getAccount(ctx().db, account.id);
    // Codes of the steps the server accepts now are never "wrong": pick one that is none of them.
    const accepted = [-30, 0, 30].map((offset) => totp(base32Decode(secret), Date.now() / 1000 + offset));
    const wrong = ['000000', '111111', '222222', '333333'].find((code) => !accepted.includes(code))!;
    // Five wrong codes (from an address of this test only, so the suite's shared address keeps its count).
    const address = unique('198.51.100');
    for (let index = 0; index < 5; index++) {
      const refused = await accounts
        .verifySecondFactor(ctx().db, fresh, { code: index % 2 ? wrong : 'abcd-abcd-abcd', address })
        .then(
          () => 'accepted',
          (error: { status: number }) => error.status,
        );
      expect(refused).to.equal(401);
    }
    // Now even the right code is refused at the sign-in page, with Retry-After…
    const signedIn = await passwordSignIn(account.email, PASSWORD);
    expect(signedIn.answer.headers.location).to.match(/^\/staff\/sign-in\/verify/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec((await signedIn.agent.get('/staff/sign-in/verify')).text)![1]!;
    const code = totp(base32Decode(secret), Date.now() / 1000 + 30);
    const throttled = await signedIn.agent.post('/staff/sign-in/verify').type('form').send({ _csrf: csrf, code });
    expect(throttled.status).to.equal(429);
    expect(Number(throttled.headers['retry-after'])).to.be.greaterThan(0);
    expect(throttled.text).to.include('Too many failed sign-ins');
    // …and signing in again with the right password opens no new round of guesses.
    const again = await passwordSignIn(account.email, PASSWORD);
    const againCsrf = /name="_csrf" value="([^"]+)"/.exec((await again.agent.get('/staff/sign-in/verify')).text)![1]!;
    expect((await again.agent.post('/staff/sign-in/verify').type('form').send({ _csrf: againCsrf, code })).status).to.equal(429);
    expect((await again.agent.get('/api/v1/me')).status).to.equal(401);
    // After the window the code works.
    await ctx()
      .db('staff_sign_in_failures')
      .where({ subject: `second-factor:${account.id}` })
      .update({ failed_at: new Date(Date.now() - 16 * 60_000) });
    const accepted2 = await again.agent.post('/staff/sign-in/verify').type('form').send({ _csrf: againCsrf, code });
    expect(accepted2.status).to.equal(303);
    expect((await again.agent.get('/api/v1/me')).status).to.equal(200);

    // Per address: many wrong codes from one address stop the codes of every account there.
    const busy = `address:${unique('203.0.113')}`;
    await ctx()
      .db('staff_sign_in_failures')
      .insert(Array.from({ length: 30 }, () => ({ subject: busy })));
    const fromBusy = await accounts
      .verifySecondFactor(ctx().db, fresh, { code: wrong, address: busy.slice('address:'.length) })
      .then(
        () => 'accepted',
        (error: { status: number }) => error.status,
      );
    expect(fromBusy).to.equal(429);
  });

  it('audits a person’s own changes to their sign-in under themselves, never with a secret', async () => {
    const { account, agent } = await withPassword();
    const changed = await agent
      .post('/staff/account/password')
      .type('form')
      .send({ _csrf: await csrfOf(agent), current_password: PASSWORD, new_password: `${PASSWORD} again` });
    expect(changed.status).to.equal(200);
    const { secret } = await enableTwoFactor(agent);
    const codes = await agent
      .post('/staff/account/recovery-codes')
      .type('form')
      .send({ _csrf: await csrfOf(agent) });
    expect(codes.status).to.equal(200);
    const off = await agent
      .post('/staff/account/two-factor/disable')
      .type('form')
      .send({ _csrf: await csrfOf(agent), code: totp(base32Decode(secret), Date.now() / 1000 + 30) });
    expect(off.status, off.text.slice(0, 300)).to.equal(200);
    const everywhere = await agent
      .post('/staff/account/sign-out-everywhere')
      .type('form')
      .send({ _csrf: await csrfOf(agent) });
    expect(everywhere.status).to.equal(303);
    const trail = await ctx().db('audit_log').where({ entity_type: 'staff_account', entity_id: account.id }).orderBy('id');
    expect(trail.map((entry) => [entry.action, String(entry.actor_staff_id), entry.actor_name])).to.deep.equal(
      ['set_password', 'change_password', 'two_factor_on', 'recovery_codes', 'two_factor_off', 'sign_out_everywhere'].map(
        (action) => [action, account.id, account.display_name],
      ),
    );
    expect(JSON.stringify(trail)).to.not.include(PASSWORD).and.not.include(secret);
  });

  it('a person who lost their phone: an admin (API or CLI) turns two-factor off, sessions end, a new link signs in', async () => {
    const { account, agent } = await withPassword();
    await enableTwoFactor(agent);
    const admin = await signInWithLink(await makePerson('admin'));
    const csrf = await csrfOf(admin);
    expect(
      (await admin.patch(`/api/v1/staff/${account.id}`).set('X-CSRF-Token', csrf).send({ two_factor: true })).status,
    ).to.equal(400);
    const reset = await admin.patch(`/api/v1/staff/${account.id}`).set('X-CSRF-Token', csrf).send({ two_factor: false });
    expect(reset.status, JSON.stringify(reset.body)).to.equal(200);
    expect(reset.body).to.include({ two_factor: false, has_password: true });
    expect((await agent.get('/api/v1/me')).status).to.equal(401);
    const back = request.agent(ctx().app);
    const link = await accounts.issueSignInLink(
      ctx().db,
      await accounts.getAccount(ctx().db, account.id),
      'test',
      ctx().config.publicUrl,
    );
    const used = await back.post(new URL(link.url).pathname).type('form').send('');
    expect(used.headers.location).to.equal('/staff/account?welcome=1');
    expect((await back.get('/api/v1/me')).status).to.equal(200);
    const trail = await ctx().db('audit_log').where({ entity_type: 'staff_account', entity_id: account.id, action: 'update' });
    expect(trail.map((entry) => entry.changes)).to.deep.include({ two_factor: false });

    // The CLI's link --reset-two-factor does the same (for the embedded store while the server is stopped).
    const other = await withPassword();
    await enableTwoFactor(other.agent);
    const { runStaffCommand } = await import('../../src/cli/staff.js');
    const printed = await runStaffCommand(['link', '--email', other.account.email, '--reset-two-factor'], ctx().db, ctx().config);
    expect(printed).to.include('Two-factor sign-in of').and.include('is off');
    expect((await other.agent.get('/api/v1/me')).status).to.equal(401);
    const url = /(http:\/\/\S+\/staff\/sign-in\/link\/[\w-]{43})/.exec(printed)![1]!;
    const cli = request.agent(ctx().app);
    expect((await cli.post(new URL(url).pathname).type('form').send('')).headers.location).to.equal('/staff/account?welcome=1');
  });

  it('a sign-in link of an account with two-factor on asks for the code too', async () => {
    const { account, agent } = await withPassword();
    await enableTwoFactor(agent);
    const link = await accounts.issueSignInLink(
      ctx().db,
      await accounts.getAccount(ctx().db, account.id),
      'test',
      ctx().config.publicUrl,
    );
    const browser = request.agent(ctx().app);
    const used = await browser.post(new URL(link.url).pathname).type('form').send('');
    expect(used.status).to.equal(303);
    expect(used.headers.location).to.match(/^\/staff\/sign-in\/verify\?next=/);
    expect((await browser.get('/api/v1/me')).status).to.equal(401);
    expect((await browser.get('/staff/account')).status).to.equal(303);
  });

  it('when the settings require two-factor for admins only, an admin must set it up and staff need not', async () => {
    const admin = await withPassword('admin');
    const staff = await withPassword('staff');
    await accounts.changeIdentitySettings(ctx().db, { require_two_factor_for_admins: true });
    try {
      const adminIn = await passwordSignIn(admin.account.email, PASSWORD);
      expect((await adminIn.agent.get('/api/v1/me')).status).to.equal(403);
      expect((await adminIn.agent.get('/staff/account')).text).to.include('Two-factor sign-in is required');
      const staffIn = await passwordSignIn(staff.account.email, PASSWORD);
      expect((await staffIn.agent.get('/api/v1/me')).status).to.equal(200);
    } finally {
      await accounts.changeIdentitySettings(ctx().db, { require_two_factor_for_admins: false });
    }
  });

  it('when the settings require two-factor, a password account must set it up before anything else', async () => {
    const { account } = await withPassword();
    await accounts.changeIdentitySettings(ctx().db, { require_two_factor: true });
    try {
      const signedIn = await passwordSignIn(account.email, PASSWORD);
      expect(signedIn.answer.status).to.equal(303);
      const me = await signedIn.agent.get('/api/v1/me');
      expect(me.status).to.equal(403);
      expect(me.body[0].description).to.match(/Two-factor sign-in is required/);
      const page = await signedIn.agent.get('/staff/account');
      expect(page.status).to.equal(200);
      expect(page.text).to.include('Two-factor sign-in is required');
      await enableTwoFactor(signedIn.agent);
      expect((await signedIn.agent.get('/api/v1/me')).status).to.equal(200);
      // A sign-in link is one factor too: a person signed in by link (no password yet) must set it up as well.
      const byLink = await signInWithLink(await makePerson());
      expect((await byLink.get('/api/v1/me')).status).to.equal(403);
      expect((await byLink.get('/staff/')).headers.location).to.equal('/staff/account?enrol=1');
    } finally {
      await accounts.changeIdentitySettings(ctx().db, { require_two_factor: false });
    }
  });
});

describe('staff sessions', () => {
  forgetLoopbackFailures();

  it('use a Secure __Host- cookie when PUBLIC_URL is https', async () => {
    const { createApp } = await import('../../src/app.js');
    const { createLogger } = await import('../../src/logger.js');
    const { testConfig } = await import('../helpers/test-server.js');
    const config = testConfig({ PUBLIC_URL: 'https://311.test.example' });
    const { app } = createApp({ config, db: ctx().db, logger: createLogger('silent') });
    const account = await makePerson();
    const link = await accounts.issueSignInLink(ctx().db, account, 'test', config.publicUrl);
    const used = await request(app).post(new URL(link.url).pathname).type('form').send('');
    expect(used.status).to.equal(303);
    const cookie = ([] as string[])
      .concat(used.headers['set-cookie'] ?? [])
      .find((value) => value.startsWith('__Host-open311_session='));
    expect(cookie)
      .to.match(/; Secure/i)
      .and.match(/HttpOnly/i)
      .and.match(/SameSite=Lax/i)
      .and.match(/Path=\//);
  });

  it('end after the idle timeout and after the absolute lifetime', async () => {
    const account = await makePerson();
    const idle = await signInWithLink(account);
    const lasting = await signInWithLink(account);
    expect((await idle.get('/api/v1/me')).status).to.equal(200);
    const rows = await ctx().db('staff_sessions').where({ staff_account_id: account.id }).orderBy('created_at');
    expect(rows).to.have.length(2);
    // Idle for longer than SESSION_IDLE_MINUTES (8 h by default).
    await ctx()
      .db('staff_sessions')
      .where({ id_hash: rows[0].id_hash })
      .update({ last_seen_at: new Date(Date.now() - 8 * 3_600_000 - 1000) });
    // Past the absolute lifetime although just used.
    await ctx()
      .db('staff_sessions')
      .where({ id_hash: rows[1].id_hash })
      .update({ expires_at: new Date(Date.now() - 1000) });
    const answers = [await idle.get('/api/v1/me'), await lasting.get('/api/v1/me')];
    expect(answers.map((answer) => answer.status)).to.deep.equal([401, 401]);
    expect(await ctx().db('staff_sessions').where({ staff_account_id: account.id })).to.have.length(0);
    const page = await idle.get('/staff/account');
    expect(page.status).to.equal(303);
    expect(page.headers.location).to.equal('/staff/sign-in?next=%2Fstaff%2Faccount');
  });

  it('sign out ends this session; sign out everywhere ends them all', async () => {
    const account = await makePerson();
    const [one, two, three] = [await signInWithLink(account), await signInWithLink(account), await signInWithLink(account)];
    const out = await one
      .post('/staff/sign-out')
      .type('form')
      .send({ _csrf: await csrfOf(one) });
    expect(out.status).to.equal(303);
    expect((await one.get('/api/v1/me')).status).to.equal(401);
    expect((await two.get('/api/v1/me')).status).to.equal(200);
    const everywhere = await two
      .post('/staff/account/sign-out-everywhere')
      .type('form')
      .send({ _csrf: await csrfOf(two) });
    expect(everywhere.status).to.equal(303);
    expect((await two.get('/api/v1/me')).status).to.equal(401);
    expect((await three.get('/api/v1/me')).status).to.equal(401);
  });

  it('refuse cookie-authenticated writes without the CSRF token or from another site', async () => {
    const account = await makePerson('admin');
    const agent = await signInWithLink(account);
    const token = await csrfOf(agent);
    const noToken = await agent.post('/staff/account/sign-out-everywhere').type('form').send('');
    expect(noToken.status).to.equal(403);
    const wrongToken = await agent
      .post('/staff/account/sign-out-everywhere')
      .type('form')
      .send({ _csrf: 'x'.repeat(43) });
    expect(wrongToken.status).to.equal(403);
    const foreign = await agent
      .post('/staff/account/sign-out-everywhere')
      .set('Origin', 'https://evil.example')
      .type('form')
      .send({ _csrf: token });
    expect(foreign.status).to.equal(403);
    // The staff API, by cookie: a write needs X-CSRF-Token.
    const body = { name: unique('key by person'), role: 'client' };
    expect((await agent.post('/api/v1/keys').send(body)).status).to.equal(403);
    const created = await agent.post('/api/v1/keys').set('X-CSRF-Token', token).send(body);
    expect(created.status).to.equal(201);
    // Still signed in: none of the refused writes did anything.
    expect((await agent.get('/api/v1/me')).status).to.equal(200);
  });

  it('deactivating a person ends their sessions at once', async () => {
    const account = await makePerson();
    const agent = await signInWithLink(account);
    expect((await agent.get('/api/v1/requests')).status).to.equal(200);
    await accounts.deactivateAccount(ctx().db, account.id);
    expect((await agent.get('/api/v1/requests')).status).to.equal(401);
    expect(await ctx().db('staff_sessions').where({ staff_account_id: account.id })).to.have.length(0);
  });
});

describe('staff sign-in: secrets in logs', () => {
  it('a failing request logs no sign-in link token and no notification link token', async () => {
    const { Writable } = await import('node:stream');
    const { createApp } = await import('../../src/app.js');
    const { createLogger } = await import('../../src/logger.js');
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    // A store whose link tables fail unexpectedly: the error handler logs the request with its URL.
    const failing = new Proxy(ctx().db, {
      apply(target, thisArgument, args: unknown[]) {
        if (/^(staff_sign_in_links|notification_subscriptions)\b/.test(String(args[0]))) throw new Error('the disk caught fire');
        return Reflect.apply(target, thisArgument, args);
      },
    });
    const { app } = createApp({ config: ctx().config, db: failing, logger: createLogger('debug', destination) });
    const linkToken = randomToken();
    const notificationToken = randomToken();
    for (const path of [
      `/staff/sign-in/link/${linkToken}`,
      `/notifications/unsubscribe/${notificationToken}`,
      `/notifications/confirm/${notificationToken}`,
    ]) {
      const answer = await request(app).get(path);
      expect(answer.status, path).to.equal(500);
    }
    await new Promise((resolve) => setImmediate(resolve));
    const unexpected = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'unexpected error');
    expect(unexpected.map((line) => line.url)).to.deep.equal([
      '/staff/sign-in/link/[REDACTED]',
      '/notifications/unsubscribe/[REDACTED]',
      '/notifications/confirm/[REDACTED]',
    ]);
    const logged = lines.join('\n');
    expect(logged).to.not.include(linkToken).and.not.include(notificationToken);
  });
});

function randomToken(): string {
  return Buffer.from(Array.from({ length: 32 }, () => Math.floor(Math.random() * 256))).toString('base64url');
}

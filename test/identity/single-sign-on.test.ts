// Single sign-on against a real OpenID provider (the oidc-provider package) started here on loopback: the
// authorization code flow with PKCE through openid-client, state bound to the browser, a verified e-mail
// signing in its existing account, auto-provisioning only for allowed domains, and refusals otherwise.
import type { Server } from 'node:http';
import net from 'node:net';
import { expect } from 'chai';
import Provider from 'oidc-provider';
import request from 'supertest';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { deactivateAccount } from '../../src/domain/staff-accounts.js';
import { findAccountByEmail } from '../../src/store/staff-accounts-store.js';
import { makePerson } from '../helpers/staff-people.js';
import { ctx, testConfig, unique } from '../helpers/test-server.js';

const CLIENT_ID = 'open311-staff';
const CLIENT_SECRET = 'a-client-secret-for-the-test-provider';
const PUBLIC_URL = 'http://311.test.example';

/** The people the provider knows: login name → claims. */
const people = new Map<string, { email: string; email_verified?: boolean; xms_edov?: boolean; name: string }>();

/** A browser-ish walk through the provider: follows redirects with its own cookies, submits the dev login and consent forms. */
async function throughProvider(start: string, login: string): Promise<URL> {
  const cookies = new Map<string, string>();
  let url = new URL(start);
  let body: string | undefined;
  for (let hop = 0; hop < 20; hop++) {
    const answer = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      redirect: 'manual',
      headers: {
        cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      ...(body === undefined ? {} : { body }),
    });
    for (const cookie of answer.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const index = pair!.indexOf('=');
      cookies.set(pair!.slice(0, index), pair!.slice(index + 1));
    }
    body = undefined;
    const location = answer.headers.get('location');
    if (location) {
      const next = new URL(location, url);
      if (next.origin === PUBLIC_URL) return next;
      url = next;
      continue;
    }
    const page = await answer.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
    const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
    if (!action || !prompt) throw new Error(`provider answered ${answer.status} without a form: ${page.slice(0, 300)}`);
    url = new URL(action.replace(/&amp;/g, '&'), url);
    body = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any' } : { prompt }).toString();
  }
  throw new Error('too many redirects at the provider');
}

async function freePort(from: number, to: number): Promise<number> {
  for (let port = from; port <= to; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port in 23000-23999');
}

describe('staff sign-in: single sign-on (OpenID Connect, real provider on loopback)', function () {
  this.timeout(60_000);
  let server: Server;
  let app: ReturnType<typeof createApp>['app'];
  let issuer: string;

  before(async () => {
    // A free port of this suite's range (23000–23999): the issuer URL must be known before the provider starts.
    const port = await freePort(23000 + (process.pid % 500), 23999);
    issuer = `http://127.0.0.1:${port}`;
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          redirect_uris: [`${PUBLIC_URL}/staff/sign-in/oidc/callback`],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      // xms_edov: the claim Microsoft Entra ID sends instead of email_verified.
      claims: { openid: ['sub'], email: ['email', 'email_verified', 'xms_edov'], profile: ['name'] },
      pkce: { required: () => true },
      cookies: { keys: ['test-provider-cookie-key'] },
      async findAccount(_context: unknown, sub: string) {
        const person = people.get(sub);
        if (!person) return undefined;
        return { accountId: sub, claims: async () => ({ sub, ...person }) };
      },
    });
    server = await new Promise<Server>((resolve, reject) => {
      const listening = provider.listen(port, '127.0.0.1', () => resolve(listening));
      listening.on('error', reject);
    });
    const config = testConfig({
      PUBLIC_URL,
      OIDC_ISSUER: issuer,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: CLIENT_SECRET,
      OIDC_ALLOWED_DOMAINS: 'parks.city.example',
      OIDC_DEFAULT_ROLE: 'staff',
      OIDC_PROVIDER_NAME: 'City ID',
    });
    app = createApp({ config, db: ctx().db, logger: createLogger('silent') }).app;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function signInThroughProvider(login: string, next = '/staff/account') {
    const agent = request.agent(app);
    const page = await agent.get(`/staff/sign-in?next=${encodeURIComponent(next)}`);
    expect(page.text).to.include('Sign in with City ID');
    const start = await agent.get(`/staff/sign-in/oidc?next=${encodeURIComponent(next)}`);
    expect(start.status).to.equal(303);
    const authorization = new URL(String(start.headers.location));
    expect(authorization.origin).to.equal(issuer);
    expect(authorization.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(authorization.searchParams.get('code_challenge')).to.match(/^[\w-]{43}$/);
    expect(authorization.searchParams.get('state')).to.be.a('string');
    const callback = await throughProvider(authorization.href, login);
    expect(callback.pathname).to.equal('/staff/sign-in/oidc/callback');
    expect(callback.searchParams.get('code')).to.be.a('string');
    const finished = await agent.get(`${callback.pathname}${callback.search}`);
    return { agent, finished, callback };
  }

  it('signs a verified e-mail in to its existing account', async () => {
    const account = await makePerson('admin');
    const login = unique('dana');
    people.set(login, { email: account.email.toUpperCase(), email_verified: true, name: 'Dana at the provider' });
    const { agent, finished, callback } = await signInThroughProvider(login);
    expect(finished.status, finished.text.slice(0, 500)).to.equal(303);
    expect(finished.headers.location).to.equal('/staff/account');
    const me = await agent.get('/api/v1/me');
    expect(me.body).to.include({ kind: 'person', id: account.id, role: 'admin' });
    // The callback cannot be replayed (state and code are used up).
    const replay = await request.agent(app).get(`${callback.pathname}${callback.search}`);
    expect(replay.status).to.equal(403);
  });

  it('provisions a new person of an allowed domain with the default role; refuses other domains and unverified e-mails', async () => {
    const login = unique('parks');
    const email = `${login}@parks.city.example`;
    people.set(login, { email, email_verified: true, name: 'Robin Parks' });
    const provisioned = await signInThroughProvider(login);
    expect(provisioned.finished.status).to.equal(303);
    const account = await findAccountByEmail(ctx().db, email);
    expect(account).to.include({ display_name: 'Robin Parks', role: 'staff', has_password: false, active: true });

    const outsider = unique('outsider');
    people.set(outsider, { email: `${outsider}@elsewhere.example`, email_verified: true, name: 'Out Sider' });
    const refused = await signInThroughProvider(outsider);
    expect(refused.finished.status).to.equal(403);
    expect(refused.finished.text).to.include('no active staff account');
    expect(await findAccountByEmail(ctx().db, `${outsider}@elsewhere.example`)).to.equal(undefined);
    expect((await refused.agent.get('/api/v1/me')).status).to.equal(401);

    const existing = await makePerson();
    const unverified = unique('unverified');
    people.set(unverified, { email: existing.email, email_verified: false, name: 'Not Verified' });
    const notVerified = await signInThroughProvider(unverified);
    expect(notVerified.finished.status).to.equal(403);
    expect((await notVerified.agent.get('/api/v1/me')).status).to.equal(401);
  });

  it('refuses a deactivated account, also of an allowed domain (no new account is made for it)', async () => {
    const login = unique('retired');
    const email = `${login}@parks.city.example`;
    people.set(login, { email, email_verified: true, name: 'Retired Parks' });
    expect((await signInThroughProvider(login)).finished.status).to.equal(303);
    const account = (await findAccountByEmail(ctx().db, email))!;
    await deactivateAccount(ctx().db, account.id);
    const refused = await signInThroughProvider(login);
    expect(refused.finished.status).to.equal(403);
    expect(refused.finished.text).to.include('no active staff account');
    expect((await refused.agent.get('/api/v1/me')).status).to.equal(401);
    const rows = await ctx().db('staff_accounts').whereRaw('lower(email) = lower(?)', [email]);
    expect(rows.map((row) => row.active)).to.deep.equal([false]);
  });

  it('takes Entra ID’s xms_edov for a verified e-mail when email_verified is absent, never against a false one', async () => {
    const entra = await makePerson();
    const login = unique('entra');
    people.set(login, { email: entra.email, xms_edov: true, name: 'Entra Person' });
    const signedIn = await signInThroughProvider(login);
    expect(signedIn.finished.status).to.equal(303);
    expect((await signedIn.agent.get('/api/v1/me')).body).to.include({ id: entra.id });

    const other = await makePerson();
    for (const [name, claims] of [
      ['neither', {}],
      ['false wins', { email_verified: false, xms_edov: true }],
      ['not boolean', { xms_edov: 'true' as unknown as boolean }],
    ] as const) {
      const refusedLogin = unique(name.replace(/\W/g, ''));
      people.set(refusedLogin, { email: other.email, name: 'Not Verified', ...claims });
      const refused = await signInThroughProvider(refusedLogin);
      expect(refused.finished.status, name).to.equal(403);
      expect((await refused.agent.get('/api/v1/me')).status, name).to.equal(401);
    }
  });

  it('refuses a callback whose state is not this browser’s', async () => {
    const account = await makePerson();
    const login = unique('victim');
    people.set(login, { email: account.email, email_verified: true, name: 'Victim' });
    const agent = request.agent(app);
    const start = await agent.get('/staff/sign-in/oidc');
    const callback = await throughProvider(String(start.headers.location), login);
    // Another browser (no state cookie) gets the callback: login CSRF is refused.
    const other = await request(app).get(`${callback.pathname}${callback.search}`);
    expect(other.status).to.equal(403);
    expect(other.headers['set-cookie']?.toString() ?? '').to.not.include('open311_session=');
  });
});

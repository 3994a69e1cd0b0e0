// Staff people for tests: accounts made through the domain, browsers (supertest agents keeping cookies)
// signed in through a real one-time link, and the CSRF token read from the account page.
import request from 'supertest';
import * as accounts from '../../src/domain/staff-accounts.js';
import { ctx, unique } from './test-server.js';

export type Agent = ReturnType<typeof request.agent>;

export async function makePerson(role: 'staff' | 'admin' = 'staff', name = unique('Person')): Promise<accounts.StaffAccount> {
  return accounts.createAccount(ctx().db, { email: `${unique('person')}@city.example`, display_name: name, role });
}

export const tokenOf = (url: string): string => url.split('/').pop()!;

/** A browser signed in as `account` by following a fresh sign-in link (GET shows the button, POST uses it). */
export async function signInWithLink(account: accounts.StaffAccount, app = ctx().app): Promise<Agent> {
  const link = await accounts.issueSignInLink(ctx().db, account, 'test', ctx().config.publicUrl);
  const agent = request.agent(app);
  const path = new URL(link.url).pathname;
  const shown = await agent.get(path);
  if (shown.status !== 200) throw new Error(`link page answered ${shown.status}`);
  const used = await agent.post(path).type('form').send('');
  if (used.status !== 303) throw new Error(`link POST answered ${used.status}: ${used.text.slice(0, 300)}`);
  return agent;
}

/** The _csrf value of the first form on a page the agent can see. */
export async function csrfOf(agent: Agent, path = '/staff/account'): Promise<string> {
  const page = await agent.get(path);
  const match = /name="_csrf" value="([^"]+)"/.exec(page.text);
  if (!match) throw new Error(`no _csrf field on ${path} (status ${page.status})`);
  return match[1]!;
}

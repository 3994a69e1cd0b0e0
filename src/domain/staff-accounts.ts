// Staff accounts and signing in: passwords (scrypt, throttled per account and per address, the same answer
// for an unknown e-mail and a wrong password), TOTP with one-time recovery codes, one-time sign-in links
// (24 h, single use, stored hashed), the first admin, and accounts from single sign-on. Inputs arrive
// validated (spec/schemas) and typed; this module never sees a request.
import { createHash, randomBytes } from 'node:crypto';
import { conflict, linkNotUsable, notFound, secondFactorRefused, signInRefused, signInThrottled, badRequest } from '../errors.js';
import type { Db } from '../store/db.js';
import { recordAudit } from '../store/routing-store.js';
import * as store from '../store/staff-accounts-store.js';
import type { StaffAccount, StaffRole } from '../store/staff-accounts-store.js';
import { endAllSessions, endOtherSessions } from './sessions.js';
import { hashPassword, needsRehash, passwordProblem, verifyAgainstNothing, verifyPassword } from './passwords.js';
import { generateTotpSecret, otpauthUri, verifyTotp } from './totp.js';

export type { StaffAccount, StaffRole };

export const SIGN_IN_LINK_HOURS = 24;
export const SIGN_IN_LINK_PATH = '/staff/sign-in/link/';

/** Failed sign-ins allowed in the window before refusing further tries. */
export const THROTTLE = { windowMinutes: 15, perAccount: 5, perAddress: 30 } as const;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
export const hashLinkToken = (token: string): string => sha256(`link\0${token}`);
const hashRecoveryCode = (code: string): string => sha256(`recovery\0${code.replace(/[\s-]/g, '').toLowerCase()}`);

export interface NewAccount {
  email: string;
  display_name: string;
  role: StaffRole;
  agencies?: string[];
}

export async function createAccount(db: Db, input: NewAccount): Promise<StaffAccount> {
  const created = await store.insertAccount(db, {
    email: input.email.trim(),
    display_name: input.display_name.trim(),
    role: input.role,
    agencies: input.agencies ?? [],
  });
  if (!created) throw conflict(`There is already a staff account for ${input.email.trim()}.`);
  return created;
}

export async function getAccount(db: Db, id: string): Promise<StaffAccount> {
  const found = await store.findAccount(db, id);
  if (!found) throw notFound(`No staff account with id ${id}.`);
  return found;
}

export const listAccounts = (db: Db): Promise<StaffAccount[]> => store.listAccounts(db);

/** spec/schemas/staff-account-patch.json */
export interface AccountChange {
  role?: StaffRole;
  agencies?: string[];
  display_name?: string;
  active?: boolean;
  two_factor?: false;
}

export async function changeAccount(db: Db, id: string, change: AccountChange): Promise<StaffAccount> {
  await getAccount(db, id);
  if (change.active === false) await store.deactivateAccount(db, id);
  if (change.active === true) await store.reactivateAccount(db, id);
  // A lost authenticator app (and recovery codes): two-factor off and the sessions ended, so that the next
  // sign-in (a new link) is the only way in, where it is set up again.
  if (change.two_factor === false) {
    await store.setTotpSecret(db, id, null);
    await endAllSessions(db, id);
  }
  const updated = await store.updateAccount(db, id, change);
  return updated!;
}

/** Deactivates the account: its sessions and unused links end in the same transaction. */
export async function deactivateAccount(db: Db, id: string): Promise<StaffAccount> {
  await getAccount(db, id);
  await store.deactivateAccount(db, id);
  return getAccount(db, id);
}

/** Audits a change to a person's account under who made it. */
export async function auditAccount(
  db: Db,
  actor: { key_id: string | null; staff_id?: string | null; name: string },
  id: string,
  action: string,
  changes: Record<string, unknown>,
): Promise<void> {
  await recordAudit(db, { actor, entity_type: 'staff_account', entity_id: id, action, changes });
}

/** A person changing their own sign-in (password, two-factor) is audited under themselves. */
export const auditOwnChange = (db: Db, account: StaffAccount, action: string): Promise<void> =>
  auditAccount(db, { key_id: null, staff_id: account.id, name: account.display_name }, account.id, action, {});

// ---- one-time sign-in links ----

export interface SignInLink {
  url: string;
  expires_at: Date;
}

/** A new one-time link for the account; the token is shown only in the returned URL and stored hashed. */
export async function issueSignInLink(
  db: Db,
  account: StaffAccount,
  createdBy: string,
  publicUrl: string,
  now = new Date(),
): Promise<SignInLink> {
  if (!account.active) throw badRequest(`The account of ${account.email} is deactivated; reactivate it first.`);
  const token = randomBytes(32).toString('base64url');
  const expires_at = new Date(now.getTime() + SIGN_IN_LINK_HOURS * 3_600_000);
  await store.insertSignInLink(db, {
    staff_account_id: account.id,
    token_hash: hashLinkToken(token),
    expires_at,
    created_by: createdBy,
  });
  return { url: `${publicUrl}${SIGN_IN_LINK_PATH}${token}`, expires_at };
}

const LINK_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export async function signInLinkUsable(db: Db, token: string, now = new Date()): Promise<boolean> {
  return LINK_TOKEN_PATTERN.test(token) && store.signInLinkUsable(db, hashLinkToken(token), now);
}

/** Uses the link up (once) and returns its account; an unknown, used or expired link says only that. */
export async function consumeSignInLink(db: Db, token: string, now = new Date()): Promise<StaffAccount> {
  const account = LINK_TOKEN_PATTERN.test(token) ? await store.consumeSignInLink(db, hashLinkToken(token), now) : undefined;
  if (!account) throw linkNotUsable();
  await store.markSignedIn(db, account.id);
  return account;
}

/**
 * On a store with no staff account: makes the first admin (FIRST_ADMIN_EMAIL) and returns a sign-in link
 * for them; otherwise undefined. Safe to race: the e-mail is unique.
 */
export async function ensureFirstAdmin(
  db: Db,
  email: string,
  publicUrl: string,
): Promise<{ account: StaffAccount; link: SignInLink } | undefined> {
  if ((await store.countAccounts(db)) > 0) return undefined;
  const account = await store.insertAccount(db, { email, display_name: 'First administrator', role: 'admin', agencies: [] });
  if (!account) return undefined;
  return { account, link: await issueSignInLink(db, account, 'first start', publicUrl) };
}

// ---- passwords ----

export type PasswordSignIn = { account: StaffAccount; second_factor_pending: boolean };

/**
 * Checks an e-mail and password. Before any check, too many recent failures for this e-mail or this
 * address refuse the try (429) — whether or not the account exists. Unknown e-mail, deactivated account, no
 * password and wrong password all cost one scrypt and give the same 401.
 */
export async function signInWithPassword(
  db: Db,
  input: { email: string; password: string; address: string },
  now = new Date(),
): Promise<PasswordSignIn> {
  const email = input.email.trim().toLowerCase();
  const subjects = [`account:${email}`, `address:${input.address}`];
  const since = new Date(now.getTime() - THROTTLE.windowMinutes * 60_000);
  const [accountFailures, addressFailures] = await Promise.all(
    subjects.map((subject) => store.countRecentFailures(db, subject, since)),
  );
  if (accountFailures! >= THROTTLE.perAccount || addressFailures! >= THROTTLE.perAddress)
    throw signInThrottled(THROTTLE.windowMinutes * 60);

  const account = await store.findAccountByEmail(db, email);
  const credentials = account?.active ? await store.findCredentials(db, account.id) : undefined;
  const hash = credentials?.password_hash ?? null;
  const right = hash ? await verifyPassword(input.password, hash) : await verifyAgainstNothing(input.password);
  if (!right || !account) {
    await store.recordSignInFailure(db, subjects);
    throw signInRefused();
  }
  await store.clearSignInFailures(db, subjects[0]!);
  await store.pruneSignInFailures(db, since);
  if (needsRehash(hash!)) await store.setPasswordHash(db, account.id, await hashPassword(input.password));
  const pending = credentials?.totp_enabled_at != null;
  if (!pending) await store.markSignedIn(db, account.id);
  return { account, second_factor_pending: pending };
}

/**
 * Sets or changes a password. The current one is needed when there is one, unless `fresh` (just signed in by
 * link). A changed password ends the account's other sessions (whoever knew the old one is signed out); the
 * session `keepSessionId` that made the change stays.
 */
export async function setPassword(
  db: Db,
  account: StaffAccount,
  input: { current_password?: string; new_password: string },
  fresh: boolean,
  keepSessionId?: string,
): Promise<{ ended_sessions: number }> {
  const problem = passwordProblem(input.new_password);
  if (problem) throw badRequest(problem);
  const credentials = await store.findCredentials(db, account.id);
  if (credentials?.password_hash && !fresh) {
    if (!input.current_password || !(await verifyPassword(input.current_password, credentials.password_hash)))
      throw badRequest('The current password is not right.');
  }
  await store.setPasswordHash(db, account.id, await hashPassword(input.new_password));
  let ended = 0;
  if (credentials?.password_hash) {
    ended =
      keepSessionId === undefined ? await endAllSessions(db, account.id) : await endOtherSessions(db, account.id, keepSessionId);
  }
  await auditOwnChange(db, account, credentials?.password_hash ? 'change_password' : 'set_password');
  return { ended_sessions: ended };
}

// ---- two-factor ----

/**
 * Accepts a current TOTP code (each at most once) or an unused recovery code. Wrong codes are throttled like
 * wrong passwords, per account and per address: every password sign-in opens a new try, so without a count
 * of its own a six-digit code could be guessed without end. A right password does not reset this count.
 */
export async function verifySecondFactor(
  db: Db,
  account: StaffAccount,
  input: { code: string; address: string },
  now = new Date(),
): Promise<void> {
  const subjects = [`second-factor:${account.id}`, `address:${input.address}`];
  const since = new Date(now.getTime() - THROTTLE.windowMinutes * 60_000);
  const [accountFailures, addressFailures] = await Promise.all(
    subjects.map((subject) => store.countRecentFailures(db, subject, since)),
  );
  if (accountFailures! >= THROTTLE.perAccount || addressFailures! >= THROTTLE.perAddress)
    throw signInThrottled(THROTTLE.windowMinutes * 60);
  if (!(await secondFactorMatches(db, account, input.code, now))) {
    await store.recordSignInFailure(db, subjects);
    throw secondFactorRefused();
  }
  await store.clearSignInFailures(db, subjects[0]!);
  await store.markSignedIn(db, account.id);
}

async function secondFactorMatches(db: Db, account: StaffAccount, code: string, now: Date): Promise<boolean> {
  const credentials = await store.findCredentials(db, account.id);
  if (!credentials?.totp_secret || !credentials.totp_enabled_at) return false;
  const clean = code.trim();
  if (/^\d{3}\s?\d{3}$/.test(clean)) {
    const last = credentials.totp_last_step === null ? null : Number(credentials.totp_last_step);
    const step = verifyTotp(credentials.totp_secret, clean, now.getTime() / 1000, last);
    return step !== undefined && (await store.claimTotpStep(db, account.id, step));
  }
  return store.useRecoveryCode(db, account.id, hashRecoveryCode(clean));
}

export interface TotpEnrolment {
  secret: string;
  uri: string;
}

/** Starts (or restarts) enrolment: a new secret, not yet in force until a first code confirms it. */
export async function beginTotpEnrolment(db: Db, account: StaffAccount, issuer: string): Promise<TotpEnrolment> {
  if (account.two_factor) throw badRequest('Two-factor sign-in is already on; turn it off first to change the app.');
  const secret = generateTotpSecret();
  await store.setTotpSecret(db, account.id, secret);
  return { secret, uri: otpauthUri(secret, account.email, issuer) };
}

/** The enrolment waiting for its first code, if any. */
export async function pendingTotpEnrolment(db: Db, account: StaffAccount, issuer: string): Promise<TotpEnrolment | undefined> {
  const credentials = await store.findCredentials(db, account.id);
  if (!credentials?.totp_secret || credentials.totp_enabled_at) return undefined;
  return { secret: credentials.totp_secret, uri: otpauthUri(credentials.totp_secret, account.email, issuer) };
}

function newRecoveryCodes(): string[] {
  return Array.from({ length: 10 }, () => {
    const text = randomBytes(8).toString('hex').slice(0, 12);
    return `${text.slice(0, 4)}-${text.slice(4, 8)}-${text.slice(8, 12)}`;
  });
}

/** Confirms enrolment with a first code; returns the recovery codes, shown once. */
export async function confirmTotpEnrolment(db: Db, account: StaffAccount, code: string, now = new Date()): Promise<string[]> {
  const credentials = await store.findCredentials(db, account.id);
  if (!credentials?.totp_secret || credentials.totp_enabled_at) throw badRequest('Start setting up two-factor sign-in first.');
  const step = verifyTotp(credentials.totp_secret, code, now.getTime() / 1000);
  if (step === undefined) throw secondFactorRefused();
  const codes = newRecoveryCodes();
  await store.enableTotp(db, account.id, step, codes.map(hashRecoveryCode));
  await auditOwnChange(db, account, 'two_factor_on');
  return codes;
}

export async function regenerateRecoveryCodes(db: Db, account: StaffAccount): Promise<string[]> {
  if (!account.two_factor) throw badRequest('Recovery codes belong to two-factor sign-in, which is off.');
  const codes = newRecoveryCodes();
  await store.replaceRecoveryCodes(db, account.id, codes.map(hashRecoveryCode));
  await auditOwnChange(db, account, 'recovery_codes');
  return codes;
}

export async function disableTotp(
  db: Db,
  account: StaffAccount,
  input: { code: string; address: string },
  requireTwoFactor: boolean,
): Promise<void> {
  if (requireTwoFactor && account.has_password)
    throw badRequest('Two-factor sign-in is required for password accounts here; it cannot be turned off.');
  await verifySecondFactor(db, account, input);
  await store.setTotpSecret(db, account.id, null);
  await auditOwnChange(db, account, 'two_factor_off');
}

export const unusedRecoveryCodes = (db: Db, account: StaffAccount): Promise<number> =>
  store.countUnusedRecoveryCodes(db, account.id);

// ---- settings ----

export interface IdentitySettings {
  /** Every password account must use two-factor sign-in. */
  require_two_factor: boolean;
  /** Admin password accounts must (a first step before everyone). */
  require_two_factor_for_admins: boolean;
}

/** Whether the settings require two-factor sign-in of a password account with this role. */
export const twoFactorRequired = (settings: IdentitySettings, role: StaffRole): boolean =>
  settings.require_two_factor || (settings.require_two_factor_for_admins && role === 'admin');

export async function readIdentitySettings(db: Db): Promise<IdentitySettings> {
  return {
    require_two_factor: (await store.readSetting(db, 'require_two_factor')) === true,
    require_two_factor_for_admins: (await store.readSetting(db, 'require_two_factor_for_admins')) === true,
  };
}

export async function changeIdentitySettings(db: Db, change: Partial<IdentitySettings>): Promise<IdentitySettings> {
  if (change.require_two_factor !== undefined) await store.writeSetting(db, 'require_two_factor', change.require_two_factor);
  if (change.require_two_factor_for_admins !== undefined)
    await store.writeSetting(db, 'require_two_factor_for_admins', change.require_two_factor_for_admins);
  return readIdentitySettings(db);
}

// ---- single sign-on ----

/**
 * Whether the provider vouches for the e-mail. Microsoft Entra ID never sends email_verified for work
 * accounts; its optional claim xms_edov (the e-mail's domain is verified by the owner of the person's tenant)
 * stands in for it, but only when email_verified is absent: a provider that says false means false.
 */
function emailVerified(claims: { email_verified?: unknown; xms_edov?: unknown }): boolean {
  if (claims.email_verified !== undefined) return claims.email_verified === true;
  return claims.xms_edov === true;
}

/**
 * The account for a person the OpenID provider vouches for: only a verified e-mail counts. An existing
 * active account signs in; without one, a person of an allowed domain gets an account with the default role.
 */
export async function accountForSingleSignOn(
  db: Db,
  claims: { email?: unknown; email_verified?: unknown; xms_edov?: unknown; name?: unknown; sub: string },
  options: { allowedDomains: readonly string[]; defaultRole: StaffRole },
): Promise<StaffAccount | undefined> {
  if (typeof claims.email !== 'string' || !emailVerified(claims)) return undefined;
  const email = claims.email.trim();
  let account = await store.findAccountByEmail(db, email);
  if (!account) {
    const domain = email.split('@').pop()?.toLowerCase() ?? '';
    if (!options.allowedDomains.includes(domain)) return undefined;
    const name = typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim().slice(0, 200) : email;
    account = await store.insertAccount(db, {
      email,
      display_name: name,
      role: options.defaultRole,
      agencies: [],
      oidc_subject: claims.sub,
    });
    account ??= await store.findAccountByEmail(db, email);
  }
  if (!account?.active) return undefined;
  await store.setOidcSubject(db, account.id, claims.sub);
  await store.markSignedIn(db, account.id);
  return account;
}

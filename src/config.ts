// The only reader of process.env: read and validated once at start-up, then passed down.
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { isValidEmail } from './notifications/address.js';
import { PROJECT_ROOT } from './project-root.js';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDirectory: string;
  readonly databaseUrl: string | undefined;
  /** Read replicas (DATABASE_READ_URL, comma-separated) for the public GETs; empty: everything on DATABASE_URL. */
  readonly databaseReadUrls: readonly string[];
  /**
   * A direct connection (never through a transaction pooler) for LISTEN: other servers' writes reach this one's
   * response cache at once. Defaults to DATABASE_URL.
   */
  readonly databaseListenUrl: string | undefined;
  /** When set, this value is a valid client API key from start-up on (stored hashed). */
  readonly bootstrapApiKey: string | undefined;
  /** Public base URL of this server (no trailing slash), used in discovery and media links. */
  readonly publicUrl: string;
  readonly jurisdictionId: string;
  readonly jurisdictionName: string;
  readonly timeZone: string;
  readonly contact: string;
  readonly keyService: string;
  readonly endpointType: 'production' | 'test';
  /** Seed the demo catalog when the store has no services (default: on for the embedded store). */
  readonly seedDemo: boolean;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Where uploaded media is stored (served under /media). */
  readonly mediaDirectory: string;
  readonly mediaMaxBytes: number;
  readonly mediaMaxFiles: number;
  /** Bytes of uploaded files all requests may hold in memory together; past it, uploads get 503 + Retry-After. */
  readonly uploadMemoryBudgetBytes: number;
  /** When set, this value is a valid admin key (staff API) from start-up on (stored hashed). */
  readonly bootstrapAdminKey: string | undefined;
  /** Open requests of the same service this close (metres) and this recent (hours) are possible duplicates. */
  readonly duplicateRadiusMeters: number;
  readonly duplicateWindowHours: number;
  /** Webhook deliveries: first retry delay (doubles each attempt), attempts before giving up, HTTP timeout, outbox poll interval. */
  readonly webhookRetryBaseMs: number;
  readonly webhookMaxAttempts: number;
  readonly webhookTimeoutMs: number;
  readonly webhookPollMs: number;
  /**
   * Networks (CIDRs or single addresses) webhooks may be delivered to besides public addresses: loopback,
   * private and other reserved ranges are refused unless listed here (for receivers on the local network).
   */
  readonly webhookAllowedNetworks: readonly string[];
  /** POSTs allowed per minute per API key and per client address (0 = no limit). */
  readonly rateLimitPerKey: number;
  readonly rateLimitPerAddress: number;
  /** Express "trust proxy": how the client address is read behind a load balancer. */
  readonly trustProxy: string | boolean;
  /**
   * PostgreSQL: the longest a connect, a wait for a pooled connection or one statement may take before it
   * counts as an outage (503 + Retry-After).
   */
  readonly databaseStallTimeoutMs: number;
  /** A request not answered in this time gets a 503 errors document. */
  readonly requestTimeoutMs: number;
  /** Lifetime of cached GET answers (0 turns the response cache off). */
  readonly responseCacheTtlMs: number;
  /** Server processes (cluster workers); above 1 only with DATABASE_URL. */
  readonly webConcurrency: number;
  /** E-mail notifications: the SMTP server (smtp:// or smtps://, credentials in the URL); unset = notifications off. */
  readonly smtpUrl: string | undefined;
  /** The From address of notifications. */
  readonly mailFrom: string;
  /** Folder of the mail templates (one folder per language). */
  readonly mailTemplatesDirectory: string;
  /** Notification sends: first retry delay (doubles each attempt), attempts before failed, SMTP timeout, outbox poll interval. */
  readonly notifyRetryBaseMs: number;
  readonly notifyMaxAttempts: number;
  readonly notifyTimeoutMs: number;
  readonly notifyPollMs: number;
  /** Most messages one address receives per hour; more wait for the next hour. */
  readonly notifyHourlyCap: number;
  /** Local hour (jurisdiction time zone) at which daily digests are written. */
  readonly notifyDigestHour: number;
  /** Staff sessions end after this long without a request, and this long after sign-in whatever happens. */
  readonly sessionIdleMinutes: number;
  readonly sessionMaxHours: number;
  /** The e-mail of the first admin account, made (with a sign-in link in the log) when there is no staff account. */
  readonly firstAdminEmail: string;
  /** Single sign-on through an OpenID Connect provider, when OIDC_ISSUER is set. */
  readonly oidc: OidcConfig | undefined;
  /** Raster tile URL template for the maps of the web pages ({z}/{x}/{y}, optional {s}), and its attribution. */
  readonly mapTileUrl: string;
  readonly mapAttribution: string;
  /** Resident site: the city's branding and rules. */
  readonly site: SiteConfig;
}

export interface OidcConfig {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** E-mail domains whose verified people get an account at their first sign-in (empty: no auto-provisioning). */
  readonly allowedDomains: readonly string[];
  readonly defaultRole: 'staff' | 'admin';
  /** Shown on the button: "Sign in with <name>". */
  readonly providerName: string;
}

export interface SiteConfig {
  readonly cityName: string;
  /** Logo image URL (same origin or data: unless the CSP allows it); none when empty. */
  readonly logoUrl: string;
  /** Brand colours as #rrggbb: header background and the colour of links and buttons. */
  readonly primaryColour: string;
  readonly accentColour: string;
  /** How to reach the city (shown in the footer) and a short "about" text. */
  readonly contact: string;
  readonly about: string;
  /** Residents must give an e-mail address or phone number. */
  readonly requireContact: boolean;
  /** Where the report map starts (the city centre). */
  readonly mapCentre: { readonly lat: number; readonly long: number };
  /** Nominatim-compatible search endpoint (…/search); the typed address is kept as is when empty. */
  readonly geocoderUrl: string;
  /** Sent to the geocoder as User-Agent (Nominatim's policy asks for one that identifies the application). */
  readonly geocoderUserAgent: string;
}

/** The OpenStreetMap standard tiles (their usage policy: attribution shown, a setting rather than hard-coded). */
const DEFAULT_MAP_TILE_URL = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';
const DEFAULT_MAP_ATTRIBUTION = '© OpenStreetMap contributors';

/** The origin of a tile URL template, for the pages' Content-Security-Policy (img-src). */
export function tileOriginOf(template: string): string {
  const url = new URL(template.replace(/\{s\}/g, 'a').replace(/\{[a-z]+\}/g, '0'));
  return template.includes('{s}') ? `${url.protocol}//*.${url.host.split('.').slice(1).join('.')}` : url.origin;
}

export class ConfigError extends Error {}

/** The demo city: its contact details are published only when the server is set up for it. */
export const DEMO_JURISDICTION_ID = 'lancasterohio.gov';
const DEMO_CITY = {
  name: 'City of Lancaster, Ohio',
  contact: '311 API team, City of Lancaster, Ohio: 311@lancasterohio.gov, +1 740 687 6600',
  keyService: 'Ask the 311 API team (311@lancasterohio.gov) for an API key.',
  siteName: 'Lancaster, Ohio',
  siteContact: '311@lancasterohio.gov · +1 740 687 6600',
};

/**
 * Discovery's contact and key_service when OPEN311_CONTACT / OPEN311_KEY_SERVICE are unset: the demo city's
 * for the demo jurisdiction, else neutral text derived from the configured city (never another city's
 * address, never a command: key_service is read by members of the public).
 */
function discoveryDefaults(jurisdictionId: string, name: string, publicUrl: string): { contact: string; keyService: string } {
  if (jurisdictionId === DEMO_JURISDICTION_ID) return { contact: DEMO_CITY.contact, keyService: DEMO_CITY.keyService };
  return {
    contact: `${name}: ${publicUrl}`,
    keyService: `Ask ${name} for an API key (${publicUrl}).`,
  };
}

export const GEOREPORT_BASE_PATH = '/open311/v2';

/** The most text a form or JSON body may hold, files aside (the body readers' limit, counted in the upload budget). */
export const MAX_FORM_BYTES = 1024 * 1024;

function readInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function readBoolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function readChoice<T extends string>(env: NodeJS.ProcessEnv, name: string, choices: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${choices.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function readTrustProxy(raw: string | undefined): string | boolean {
  if (raw === undefined || raw === '' || /^(0|false|no|off)$/i.test(raw)) return false;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  // A hop count, or addresses/subnets as Express accepts them (loopback, 10.0.0.0/8, …).
  if (!/^[\w.:/, -]{1,500}$/.test(raw))
    throw new ConfigError('TRUST_PROXY must be true, false, a hop count or a list of addresses');
  return raw;
}

function readNetworks(env: NodeJS.ProcessEnv, name: string): string[] {
  const raw = env[name] ?? '';
  const items = raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  for (const item of items) {
    const valid = item.includes('/') ? ipaddr.isValidCIDR(item) : ipaddr.isValid(item);
    if (!valid) throw new ConfigError(`${name} must be a comma-separated list of addresses or CIDRs, got "${item}"`);
  }
  return items;
}

function readSmtpUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('SMTP_URL must be an smtp:// or smtps:// URL');
  }
  if ((url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || url.hostname === '')
    throw new ConfigError('SMTP_URL must be an smtp:// or smtps:// URL with a host');
  return raw;
}

function readMailFrom(raw: string | undefined, publicUrl: string): string {
  if (raw === undefined || raw === '') return `no-reply@${new URL(publicUrl).hostname}`;
  // A bare address or "Name <address>".
  const address = /<([^<>]+)>\s*$/.exec(raw)?.[1] ?? raw;
  if (!isValidEmail(address.trim())) throw new ConfigError(`MAIL_FROM must be an e-mail address, got "${raw}"`);
  return raw;
}

function readFirstAdminEmail(raw: string | undefined, jurisdictionId: string): string {
  const email = raw || `admin@${jurisdictionId}`;
  if (!/^[^\s@]{1,64}@[^\s@]{1,253}$/.test(email)) throw new ConfigError('FIRST_ADMIN_EMAIL must be an e-mail address');
  return email;
}

function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const isLoopbackHost = (host: string): boolean => /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i.test(host);

function readOidc(env: NodeJS.ProcessEnv): OidcConfig | undefined {
  const issuer = env.OIDC_ISSUER || undefined;
  if (!issuer) return undefined;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ConfigError('OIDC_ISSUER must be a URL');
  }
  // Plain http only to a provider on this machine (development and tests).
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname)))
    throw new ConfigError('OIDC_ISSUER must be an https URL (http only on loopback)');
  const clientId = env.OIDC_CLIENT_ID || '';
  const clientSecret = env.OIDC_CLIENT_SECRET || '';
  if (!clientId || !clientSecret) throw new ConfigError('OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET');
  const allowedDomains = (env.OIDC_ALLOWED_DOMAINS || '')
    .split(',')
    .map((domain) => domain.trim().toLowerCase().replace(/^@/, ''))
    .filter(Boolean);
  for (const domain of allowedDomains)
    if (!/^[a-z0-9.-]{1,253}$/.test(domain)) throw new ConfigError(`OIDC_ALLOWED_DOMAINS: "${domain}" is not a domain`);
  return Object.freeze({
    issuer,
    clientId,
    clientSecret,
    allowedDomains: Object.freeze(allowedDomains),
    defaultRole: readChoice(env, 'OIDC_DEFAULT_ROLE', ['staff', 'admin'] as const, 'staff'),
    providerName: (env.OIDC_PROVIDER_NAME || 'single sign-on').slice(0, 100),
  });
}

function readColour(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^#[0-9a-fA-F]{6}$/.test(raw)) throw new ConfigError(`${name} must be a colour such as #1d4f91, got "${raw}"`);
  return raw.toLowerCase();
}

function readUrl(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined) return fallback;
  if (raw === '') return '';
  if (!/^https?:\/\/[^\s]+$/.test(raw)) throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  return raw;
}

/**
 * The resident site's settings. CITY_NAME and SITE_CONTACT default to the demo city's for the demo
 * jurisdiction, else to the configured city's name and discovery contact: the public never sees another
 * city's address or phone number.
 */
function readSite(env: NodeJS.ProcessEnv, city: { demo: boolean; name: string; contact: string }): SiteConfig {
  const centre = (env.SITE_MAP_CENTRE || '39.71367,-82.59932').split(',').map((part) => Number(part.trim()));
  const [lat, long] = centre as [number, number];
  if (centre.length !== 2 || !(Math.abs(lat) <= 90) || !(Math.abs(long) <= 180)) {
    throw new ConfigError('SITE_MAP_CENTRE must be "lat,long" in degrees');
  }
  const logoUrl = env.SITE_LOGO_URL || '';
  if (logoUrl !== '' && !/^(https?:\/\/|\/)[^\s]*$/.test(logoUrl)) throw new ConfigError('SITE_LOGO_URL must be a URL or a path');
  const cityName = env.CITY_NAME || (city.demo ? DEMO_CITY.siteName : city.name);
  return Object.freeze({
    cityName,
    logoUrl,
    primaryColour: readColour(env, 'SITE_PRIMARY_COLOUR', '#1d4f91'),
    accentColour: readColour(env, 'SITE_ACCENT_COLOUR', '#0b6e4f'),
    contact: env.SITE_CONTACT || (city.demo ? DEMO_CITY.siteContact : city.contact),
    about: env.SITE_ABOUT || '',
    requireContact: readBoolean(env, 'SITE_REQUIRE_CONTACT', false),
    mapCentre: Object.freeze({ lat, long }),
    geocoderUrl: readUrl(env, 'GEOCODER_URL', ''),
    geocoderUserAgent: env.GEOCODER_USER_AGENT || `open311-server resident site (${cityName})`,
  });
}

function readTileUrl(raw: string | undefined): string {
  const value = raw || DEFAULT_MAP_TILE_URL;
  if (!/^https?:\/\/[^\s"'<>]+$/.test(value) || !value.includes('{z}') || !value.includes('{x}') || !value.includes('{y}'))
    throw new ConfigError('MAP_TILE_URL must be an http(s) URL template with {z}, {x} and {y}');
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = readInteger(env, 'PORT', 8080, 0, 65535);
  const host = env.HOST || '0.0.0.0';
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  const databaseReadUrls = (env.DATABASE_READ_URL ?? '')
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
  if (databaseReadUrls.length > 0 && !databaseUrl) throw new ConfigError('DATABASE_READ_URL needs DATABASE_URL');
  if (databaseReadUrls.length > 16) throw new ConfigError('DATABASE_READ_URL lists at most 16 replicas');
  for (const url of databaseReadUrls) {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError('DATABASE_READ_URL must list postgres:// or postgresql:// URLs');
  }
  const databaseListenUrl = env.DATABASE_LISTEN_URL || databaseUrl;
  if (env.DATABASE_LISTEN_URL && !databaseUrl) throw new ConfigError('DATABASE_LISTEN_URL needs DATABASE_URL');
  if (databaseListenUrl && !/^postgres(ql)?:\/\//.test(databaseListenUrl)) {
    throw new ConfigError('DATABASE_LISTEN_URL must be a postgres:// or postgresql:// URL');
  }
  const bootstrapApiKey = env.OPEN311_BOOTSTRAP_API_KEY || undefined;
  if (bootstrapApiKey !== undefined && bootstrapApiKey.length < 16) {
    throw new ConfigError('OPEN311_BOOTSTRAP_API_KEY must be at least 16 characters long');
  }
  const bootstrapAdminKey = env.OPEN311_BOOTSTRAP_ADMIN_KEY || undefined;
  if (bootstrapAdminKey !== undefined && bootstrapAdminKey.length < 16) {
    throw new ConfigError('OPEN311_BOOTSTRAP_ADMIN_KEY must be at least 16 characters long');
  }
  const timeZone = env.OPEN311_TIME_ZONE || 'America/New_York';
  if (!isValidTimeZone(timeZone)) throw new ConfigError(`OPEN311_TIME_ZONE "${timeZone}" is not an IANA time zone`);
  const linkHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const publicUrl = (env.PUBLIC_URL || `http://${linkHost}:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s]+$/.test(publicUrl)) throw new ConfigError('PUBLIC_URL must be an http(s) URL');
  const jurisdictionId = env.OPEN311_JURISDICTION_ID || DEMO_JURISDICTION_ID;
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(jurisdictionId)) {
    throw new ConfigError('OPEN311_JURISDICTION_ID may only contain letters, digits, ".", "_" and "-"');
  }
  const dataDirectory = path.resolve(env.DATA_DIR || './data');
  const mediaMaxBytes = readInteger(env, 'MEDIA_MAX_BYTES', 10 * 1024 * 1024, 1024, 100 * 1024 * 1024);
  const uploadMemoryBudgetBytes = readInteger(env, 'UPLOAD_MEMORY_BUDGET_BYTES', 64 * 1024 * 1024, 1024, 16 * 1024 ** 3);
  // Otherwise a file of the largest accepted size, with its form's text, could never be uploaded.
  if (uploadMemoryBudgetBytes < mediaMaxBytes + MAX_FORM_BYTES)
    throw new ConfigError(
      `UPLOAD_MEMORY_BUDGET_BYTES (${uploadMemoryBudgetBytes}) must be at least MEDIA_MAX_BYTES (${mediaMaxBytes}) plus 1 MiB for the form's text`,
    );
  const jurisdictionName =
    env.OPEN311_JURISDICTION_NAME || (jurisdictionId === DEMO_JURISDICTION_ID ? DEMO_CITY.name : jurisdictionId);
  const defaults = discoveryDefaults(jurisdictionId, jurisdictionName, publicUrl);
  return Object.freeze({
    port,
    host,
    dataDirectory,
    databaseUrl,
    databaseReadUrls: Object.freeze(databaseReadUrls),
    databaseListenUrl,
    bootstrapApiKey,
    publicUrl,
    jurisdictionId,
    jurisdictionName,
    timeZone,
    contact: env.OPEN311_CONTACT || defaults.contact,
    keyService: env.OPEN311_KEY_SERVICE || defaults.keyService,
    endpointType: readChoice(env, 'OPEN311_ENDPOINT_TYPE', ['production', 'test'] as const, 'production'),
    seedDemo: readBoolean(env, 'SEED_DEMO', databaseUrl === undefined),
    logLevel: readChoice(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'] as const, 'info'),
    mediaDirectory: path.resolve(env.MEDIA_DIR || path.join(dataDirectory, 'media')),
    mediaMaxBytes,
    uploadMemoryBudgetBytes,
    mediaMaxFiles: readInteger(env, 'MEDIA_MAX_FILES', 5, 0, 20),
    bootstrapAdminKey,
    duplicateRadiusMeters: readInteger(env, 'DUPLICATE_RADIUS_METERS', 50, 1, 5000),
    duplicateWindowHours: readInteger(env, 'DUPLICATE_WINDOW_HOURS', 168, 1, 24 * 365),
    webhookRetryBaseMs: readInteger(env, 'WEBHOOK_RETRY_BASE_MS', 5000, 10, 3_600_000),
    webhookMaxAttempts: readInteger(env, 'WEBHOOK_MAX_ATTEMPTS', 12, 1, 100),
    webhookTimeoutMs: readInteger(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    webhookPollMs: readInteger(env, 'WEBHOOK_POLL_MS', 1000, 10, 60_000),
    webhookAllowedNetworks: Object.freeze(readNetworks(env, 'WEBHOOK_ALLOWED_NETWORKS')),
    rateLimitPerKey: readInteger(env, 'RATE_LIMIT_PER_KEY', 600, 0, 1_000_000),
    rateLimitPerAddress: readInteger(env, 'RATE_LIMIT_PER_ADDRESS', 300, 0, 1_000_000),
    trustProxy: readTrustProxy(env.TRUST_PROXY),
    databaseStallTimeoutMs: readInteger(env, 'DATABASE_STALL_TIMEOUT_MS', 5000, 200, 600_000),
    requestTimeoutMs: readInteger(env, 'REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    responseCacheTtlMs: readInteger(env, 'RESPONSE_CACHE_TTL_MS', 1000, 0, 60_000),
    webConcurrency: readInteger(env, 'WEB_CONCURRENCY', 1, 1, 64),
    smtpUrl: readSmtpUrl(env.SMTP_URL),
    mailFrom: readMailFrom(env.MAIL_FROM, publicUrl),
    mailTemplatesDirectory: path.resolve(env.MAIL_TEMPLATES_DIR || path.join(PROJECT_ROOT, 'templates', 'mail')),
    notifyRetryBaseMs: readInteger(env, 'NOTIFY_RETRY_BASE_MS', 30_000, 10, 3_600_000),
    notifyMaxAttempts: readInteger(env, 'NOTIFY_MAX_ATTEMPTS', 10, 1, 100),
    notifyTimeoutMs: readInteger(env, 'NOTIFY_TIMEOUT_MS', 30_000, 100, 300_000),
    notifyPollMs: readInteger(env, 'NOTIFY_POLL_MS', 2000, 10, 60_000),
    notifyHourlyCap: readInteger(env, 'NOTIFY_HOURLY_CAP', 20, 1, 10_000),
    notifyDigestHour: readInteger(env, 'NOTIFY_DIGEST_HOUR', 7, 0, 23),
    sessionIdleMinutes: readInteger(env, 'SESSION_IDLE_MINUTES', 8 * 60, 1, 30 * 24 * 60),
    sessionMaxHours: readInteger(env, 'SESSION_MAX_HOURS', 7 * 24, 1, 365 * 24),
    firstAdminEmail: readFirstAdminEmail(env.FIRST_ADMIN_EMAIL, jurisdictionId),
    oidc: readOidc(env),
    mapTileUrl: readTileUrl(env.MAP_TILE_URL),
    mapAttribution: (env.MAP_ATTRIBUTION || DEFAULT_MAP_ATTRIBUTION).slice(0, 500),
    site: readSite(env, {
      demo: jurisdictionId === DEMO_JURISDICTION_ID,
      name: jurisdictionName,
      contact: env.OPEN311_CONTACT || defaults.contact,
    }),
  });
}

// Single sign-on with an OpenID Connect provider (Entra ID, Okta, Google Workspace, Keycloak…) through
// openid-client: authorization code flow with PKCE (S256), state and nonce. The state is kept in the store
// (any node may receive the callback) and bound to the browser by a short-lived cookie.
import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import type { OidcConfig } from '../../../config.js';
import type { Db } from '../../../store/db.js';
import { saveOidcState, takeOidcState } from '../../../store/staff-accounts-store.js';

export const OIDC_START_PATH = '/staff/sign-in/oidc';
export const OIDC_CALLBACK_PATH = '/staff/sign-in/oidc/callback';
export const OIDC_STATE_COOKIE = 'open311_oidc_state';
const STATE_MINUTES = 10;

const hashState = (state: string): string => createHash('sha256').update(`oidc-state\0${state}`).digest('hex');

export class SingleSignOn {
  #configuration: Promise<client.Configuration> | undefined;

  constructor(
    private readonly settings: OidcConfig,
    private readonly publicUrl: string,
  ) {}

  get providerName(): string {
    return this.settings.providerName;
  }

  get redirectUri(): string {
    return `${this.publicUrl}${OIDC_CALLBACK_PATH}`;
  }

  /** The provider's metadata, discovered once (again after a failure). */
  configuration(): Promise<client.Configuration> {
    if (!this.#configuration) {
      const insecure = new URL(this.settings.issuer).protocol === 'http:';
      this.#configuration = client
        .discovery(
          new URL(this.settings.issuer),
          this.settings.clientId,
          this.settings.clientSecret,
          undefined,
          insecure ? { execute: [client.allowInsecureRequests] } : undefined,
        )
        .catch((error: unknown) => {
          this.#configuration = undefined;
          throw error;
        });
    }
    return this.#configuration;
  }

  /** Where to send the browser, and the state value for its cookie. */
  async start(db: Db, nextPath: string): Promise<{ url: string; state: string }> {
    const configuration = await this.configuration();
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    await saveOidcState(db, {
      state_hash: hashState(state),
      code_verifier: codeVerifier,
      nonce,
      next_path: nextPath,
      expires_at: new Date(Date.now() + STATE_MINUTES * 60_000),
    });
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri,
      scope: 'openid email profile',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state };
  }

  /**
   * Checks the callback (state, PKCE, nonce, ID token) and returns the person's claims, with the e-mail
   * from userinfo when the ID token lacks it. Undefined when the state is unknown or not this browser's.
   */
  async finish(
    db: Db,
    callbackUrl: URL,
    cookieState: string | undefined,
  ): Promise<
    | {
        claims: { sub: string; email?: unknown; email_verified?: unknown; xms_edov?: unknown; name?: unknown };
        next_path: string;
      }
    | undefined
  > {
    const state = callbackUrl.searchParams.get('state') ?? '';
    if (!cookieState || state !== cookieState) return undefined;
    const saved = await takeOidcState(db, hashState(state), new Date());
    if (!saved) return undefined;
    const configuration = await this.configuration();
    const tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
      pkceCodeVerifier: saved.code_verifier,
      expectedState: state,
      expectedNonce: saved.nonce,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims();
    if (!idClaims) return undefined;
    let claims: { sub: string; email?: unknown; email_verified?: unknown; xms_edov?: unknown; name?: unknown } = { ...idClaims };
    // Entra ID sends xms_edov instead of email_verified (see accountForSingleSignOn): either one will do.
    if (claims.email === undefined || (claims.email_verified === undefined && claims.xms_edov === undefined)) {
      const info = await client.fetchUserInfo(configuration, tokens.access_token, idClaims.sub);
      claims = {
        ...info,
        ...claims,
        email: claims.email ?? info.email,
        email_verified: claims.email_verified ?? info.email_verified,
      };
    }
    return { claims, next_path: saved.next_path };
  }
}

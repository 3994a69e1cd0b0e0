// Where webhooks may be sent: public unicast addresses only, unless an address is in the explicit allow-list
// (config.webhookAllowedNetworks, for receivers on the local network). Otherwise an admin key could make the
// server call cloud metadata (169.254.169.254), loopback services or the private network, and read the
// delivery log as a port scanner. The rule is applied when a webhook is registered (to its literal address
// or what its name resolves to then) and, because DNS answers can change (rebinding), again on every
// delivery to the address actually connected to: the dispatcher's connections resolve through
// `guardedLookup`, which never hands a refused address to the socket.
import dns, { type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import ipaddr from 'ipaddr.js';

export type Network = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** What a refused destination is logged and recorded as: no address, port or connect error reaches the log. */
export const DESTINATION_NOT_ALLOWED = 'destination not allowed';

/** Parses "10.0.0.0/8, ::1, 192.168.1.20" (CIDRs or single addresses); throws on anything else. */
export function parseNetworks(text: string): Network[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => {
      if (item.includes('/')) return ipaddr.parseCIDR(item);
      const address = ipaddr.parse(item);
      return [address, address.kind() === 'ipv4' ? 32 : 128] as Network;
    });
}

/**
 * True when `address` may be connected to: in an allowed network, or a public unicast address (ipaddr.js's
 * "unicast" range; loopback, private, link-local, unique-local, multicast, unspecified, broadcast, carrier
 * NAT, documentation, 6to4/NAT64/Teredo and the other special ranges are not). IPv4-mapped IPv6 is judged
 * as the IPv4 address it carries.
 */
export function isAllowedAddress(address: string, allowed: readonly Network[]): boolean {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  } catch {
    return false;
  }
  for (const [network, bits] of allowed) {
    if (network.kind() === parsed.kind() && parsed.match(network, bits)) return true;
  }
  return parsed.range() === 'unicast';
}

/** The URL's host as an IP address when it is one (the WHATWG parser already turned 2852039166, 0xA9FEA9FE… into dotted form). */
export function literalAddressOf(url: URL): string | undefined {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return ipaddr.isValid(host) ? host : undefined;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
type Resolve = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export class DestinationNotAllowed extends Error {
  readonly code = 'EDESTINATIONNOTALLOWED';
  constructor() {
    super(DESTINATION_NOT_ALLOWED);
    this.name = 'DestinationNotAllowed';
  }
}

/**
 * A `lookup` for http.request / net.connect that resolves as usual and keeps only allowed addresses: when none
 * is left the connection fails with DestinationNotAllowed before any connect attempt.
 */
export function guardedLookup(allowed: readonly Network[], resolve: Resolve = dns.lookup as unknown as Resolve) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        callback(error, '');
        return;
      }
      const usable = addresses.filter((item) => isAllowedAddress(item.address, allowed));
      if (usable.length === 0) {
        callback(new DestinationNotAllowed(), '');
        return;
      }
      if ((options as LookupAllOptions).all) callback(null, usable);
      else callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}

/**
 * Why `url` may not be registered, or undefined when it may. A literal address is judged as is; a name by
 * every address it resolves to now (a name that does not resolve yet is accepted: each delivery checks again).
 */
export async function refusedDestination(
  url: URL,
  allowed: readonly Network[],
  resolve: Resolve = dns.lookup as unknown as Resolve,
): Promise<string | undefined> {
  const literal = literalAddressOf(url);
  const refusal = (address: string) =>
    `url must point to a public address: ${address} is loopback, private, link-local or otherwise reserved (set WEBHOOK_ALLOWED_NETWORKS to allow a local receiver).`;
  if (literal !== undefined) return isAllowedAddress(literal, allowed) ? undefined : refusal(literal);
  const addresses = await new Promise<LookupAddress[]>((done) => {
    // Registration does not wait on a slow resolver for long; delivery checks anyway.
    const timer = setTimeout(() => done([]), 2000);
    timer.unref();
    resolve(url.hostname, { all: true }, (error, found) => {
      clearTimeout(timer);
      done(error ? [] : found);
    });
  });
  const refused = addresses.find((item) => !isAllowedAddress(item.address, allowed));
  return refused ? refusal(`${url.hostname} (${refused.address})`) : undefined;
}

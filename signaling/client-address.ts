/**
 * Which address a connection comes from, for the country lookup (signaling/geoip.ts) and the per-address limits
 * (limits.ts, connections.ts, which count only a salted hash of it): the socket's remote
 * address, or, when that peer is one of Config.TRUSTED_PROXIES, the address its Config.TRUSTED_PROXY_HEADER names.
 * A header from any other peer is ignored (anyone can send one). The result is used at once and dropped: callers
 * keep the country code or the hash, never the address.
 */
import { BlockList, isIP } from 'node:net';
import { normalizeAddress } from './geoip.ts';

export interface ProxyTrust {
  /** Lower-case header that the trusted proxies set to the client's address (a comma-separated chain, X-Forwarded-For style). */
  header: string;
  /** The peers whose header is believed. */
  proxies: BlockList;
}

/** A `BlockList` of the trusted proxies (addresses or CIDR ranges, already validated by config.ts). */
export function trustedProxies(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [net, prefix] = entry.split('/') as [string, string | undefined];
    const address = normalizeAddress(net)!;
    const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return list;
}

function isTrusted(trust: ProxyTrust, address: string): boolean {
  return trust.proxies.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
}

/** One entry of a forwarding chain, without a port (`1.2.3.4:5678`, `[2001:db8::1]:443`); null when it is no address. */
function chainEntry(raw: string): string | null {
  const s = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (bracketed) return normalizeAddress(bracketed[1]!);
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(s);
  return normalizeAddress(v4port ? v4port[1]! : s);
}

/**
 * The client's address: `remote` itself unless it is a trusted proxy; then the right-most entry of the header's
 * chain that is not a trusted proxy (entries left of it were written by the client and prove nothing). Null when
 * the trusted proxy sent no usable header.
 */
export function clientAddress(remote: string | undefined, headers: Record<string, string | string[] | undefined>, trust: ProxyTrust | null): string | null {
  const peer = remote === undefined ? null : normalizeAddress(remote);
  if (peer === null) return null;
  if (!trust || !isTrusted(trust, peer)) return peer;
  const value = headers[trust.header];
  const chain = (Array.isArray(value) ? value.join(',') : value ?? '').split(',').filter((e) => e.trim() !== '');
  for (let i = chain.length - 1; i >= 0; i--) {
    const entry = chainEntry(chain[i]!);
    if (entry === null) return null;
    if (!isTrusted(trust, entry)) return entry;
  }
  return null;
}

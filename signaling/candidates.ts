/**
 * What of a peer's ICE candidates and SDP may reach the other peer of a private call.
 *
 * A relay-only call must not show either side the other's address, even when a modified client offers its host,
 * server-reflexive or mDNS candidates: the server parses every candidate strictly (RFC 8839 grammar,
 * `candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> [raddr <a> rport <p>]
 * *(<name> <value>)`), passes on only `typ relay` ones, and drops the rest, including anything it cannot parse.
 * A relay candidate is passed on in a canonical form rebuilt from its parsed fields: its related address (the
 * gatherer's public address as the TURN server saw it) becomes `0.0.0.0`/`::` port 0, and only well-known extensions
 * survive, so nothing but the TURN server's address leaves the relay. A direct call (both sides opted in) passes
 * on every candidate that parses, unchanged.
 *
 * Also the SDP's `a=fingerprint` lines, which must match the fingerprint the sender signed. Browser-safe (no node:).
 */

export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

export interface Candidate {
  foundation: string;
  component: number;
  transport: 'udp' | 'tcp';
  priority: number;
  /** An IPv4 or IPv6 literal, or a host name (mDNS `.local`). */
  address: string;
  port: number;
  type: CandidateType;
  relatedAddress: string | null;
  relatedPort: number | null;
  /** Extension attributes in order (`generation 0`, `ufrag abc`, ...). */
  extensions: [string, string][];
}

const FOUNDATION = /^[A-Za-z0-9+/]{1,32}$/;
const DIGITS = (max: number) => new RegExp(`^[0-9]{1,${max}}$`);
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const EXTENSION_NAME = /^[A-Za-z0-9-]{1,32}$/;
const EXTENSION_VALUE = /^[\x21-\x7e]{1,256}$/;
const TYPES: ReadonlySet<string> = new Set(['host', 'srflx', 'prflx', 'relay']);
/** Extensions a browser puts on a candidate that carry no address; only these survive on a relay candidate. */
const SAFE_EXTENSIONS: Record<string, RegExp> = {
  generation: /^[0-9]{1,10}$/,
  ufrag: /^[A-Za-z0-9+/]{4,256}$/,
  'network-id': /^[0-9]{1,10}$/,
  'network-cost': /^[0-9]{1,10}$/,
  tcptype: /^(active|passive|so)$/,
};

export function isIPv4(s: string): boolean {
  return /^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$/.test(s);
}

export function isIPv6(s: string): boolean {
  if (!s.includes(':') || !/^[0-9A-Fa-f:.]{2,45}$/.test(s)) return false;
  try {
    // The WHATWG URL parser validates IPv6 literals exactly (both in Node and in the browser).
    return new URL(`http://[${s}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

function port(s: string | undefined): number | null {
  if (s === undefined || !DIGITS(5).test(s)) return null;
  const n = Number(s);
  return n <= 65535 ? n : null;
}

function address(s: string | undefined): string | null {
  if (s === undefined) return null;
  if (isIPv4(s) || isIPv6(s)) return s;
  // A name whose last label is all digits is a malformed IP address, not a host name.
  return HOSTNAME.test(s) && /[A-Za-z]/.test(s.replace(/\.$/, '').split('.').pop() ?? '') ? s : null;
}

/** Parses `candidate:...` (as trickled) or `a=candidate:...` (an SDP line); null when it does not follow the grammar. */
export function parseCandidate(line: string): Candidate | null {
  const body = line.startsWith('a=candidate:') ? line.slice(12) : line.startsWith('candidate:') ? line.slice(10) : null;
  if (body === null || body.length > 1024) return null;
  const t = body.split(' ');
  if (t.some((x) => x === '')) return null;
  const [foundation, component, transport, priority, addr, portText, typ, type] = t;
  if (!foundation || !FOUNDATION.test(foundation)) return null;
  if (!component || !DIGITS(3).test(component) || Number(component) < 1 || Number(component) > 256) return null;
  const proto = transport?.toLowerCase();
  if (proto !== 'udp' && proto !== 'tcp') return null;
  if (!priority || !DIGITS(10).test(priority) || Number(priority) > 0xffff_ffff) return null;
  const a = address(addr);
  const p = port(portText);
  if (a === null || p === null || typ !== 'typ' || !type || !TYPES.has(type)) return null;
  let i = 8;
  let relatedAddress: string | null = null;
  let relatedPort: number | null = null;
  if (t[i] === 'raddr') {
    relatedAddress = address(t[i + 1]);
    if (relatedAddress === null) return null;
    i += 2;
  }
  if (t[i] === 'rport') {
    relatedPort = port(t[i + 1]);
    if (relatedPort === null) return null;
    i += 2;
  }
  const extensions: [string, string][] = [];
  for (; i < t.length; i += 2) {
    const name = t[i]!;
    const value = t[i + 1];
    if (!EXTENSION_NAME.test(name) || value === undefined || !EXTENSION_VALUE.test(value)) return null;
    if (name === 'raddr' || name === 'rport') return null; // out of place
    extensions.push([name, value]);
  }
  return {
    foundation, component: Number(component), transport: proto, priority: Number(priority), address: a, port: p,
    type: type as CandidateType, relatedAddress, relatedPort, extensions,
  };
}

/** The canonical `candidate:...` text of a relay candidate: related address zeroed, only safe extensions. */
function canonicalRelay(c: Candidate): string {
  const parts = [`candidate:${c.foundation}`, String(c.component), c.transport, String(c.priority), c.address, String(c.port), 'typ', 'relay'];
  if (c.relatedAddress !== null) parts.push('raddr', c.relatedAddress.includes(':') ? '::' : '0.0.0.0');
  if (c.relatedPort !== null) parts.push('rport', '0');
  for (const [name, value] of c.extensions) {
    const rule = SAFE_EXTENSIONS[name];
    if (rule?.test(value)) parts.push(name, value);
  }
  return parts.join(' ');
}

/**
 * The candidate text to pass on, or null to drop it. The empty string (end of candidates) carries no address and
 * passes. Relay-only: a `typ relay` candidate whose address is an IP literal, in canonical form. Direct: any
 * candidate that parses, as sent.
 */
export function candidateToRelay(candidate: string, direct: boolean): string | null {
  if (candidate === '') return '';
  const c = parseCandidate(candidate);
  if (!c) return null;
  if (direct) return candidate;
  if (c.type !== 'relay' || !(isIPv4(c.address) || isIPv6(c.address))) return null;
  return canonicalRelay(c);
}

/**
 * The SDP to pass on: relay-only, every `a=candidate` line (session or media level) that is not a relay candidate
 * is removed and relay ones are made canonical; `a=remote-candidates` (addresses of the other side's candidates)
 * goes too. Direct: unparsable candidate lines only are removed. Line endings are kept.
 */
export function sdpToRelay(sdp: string, direct: boolean): { sdp: string; dropped: number } {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const out: string[] = [];
  let dropped = 0;
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('a=candidate:')) {
      const kept = candidateToRelay(line.slice(2), direct);
      if (kept === null || kept === '') dropped++;
      else out.push(`a=${kept}`);
    } else if (line.startsWith('a=remote-candidates:') && !direct) {
      dropped++;
    } else {
      out.push(line);
    }
  }
  return { sdp: out.join(eol), dropped };
}

/** Every `a=fingerprint:` value of the SDP (session and media level), as written. */
export function sdpFingerprints(sdp: string): string[] {
  return sdp.split(/\r?\n/).filter((l) => l.startsWith('a=fingerprint:')).map((l) => l.slice('a=fingerprint:'.length));
}

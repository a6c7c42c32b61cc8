/**
 * The country of an IP address, from the DB-IP "IP to Country Lite" data that ships inside the npm package
 * `@ip-location-db/dbip-country` (CC BY 4.0; why this package: signaling/README.md "Country lookup"). No network
 * call, ever: the lookup is a binary search over the package's sorted, non-overlapping ranges held in typed
 * arrays. Each family's file is read the first time an address of that family is looked up (IPv6 costs ~30 MB of
 * CSV, so a server that only sees IPv4 never reads it). Loopback, private, link-local and other non-public
 * addresses have no country, and neither has a malformed string: the caller gets null, never an error.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BlockList, isIP } from 'node:net';

/** Ranges of one family: `starts[i]..ends[i]` (inclusive) is country `codes[i]` (two ASCII letters as a 16-bit number). */
interface V4Table { starts: Uint32Array; ends: Uint32Array; codes: Uint16Array }
interface V6Table { startHi: BigUint64Array; startLo: BigUint64Array; endHi: BigUint64Array; endLo: BigUint64Array; codes: Uint16Array }

const NOT_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NOT_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 127], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) NOT_PUBLIC.addSubnet(net, prefix, 'ipv6');

const MASK64 = (1n << 64n) - 1n;

const packCode = (cc: string): number => (cc.charCodeAt(0) << 8) | cc.charCodeAt(1);
const unpackCode = (n: number): string => String.fromCharCode(n >> 8, n & 0xff);

/** An address without brackets, zone id, or the `::ffff:` prefix of an IPv4-mapped IPv6 address; null when it is none. */
export function normalizeAddress(raw: string): string | null {
  let a = raw.trim();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(a);
  if (mapped) a = mapped[1]!;
  return isIP(a) === 0 ? null : a;
}

/** False for loopback, private, link-local, shared, multicast and reserved addresses (they have no country). */
export function isPublicAddress(address: string): boolean {
  const a = normalizeAddress(address);
  if (a === null) return false;
  return !NOT_PUBLIC.check(a, isIP(a) === 4 ? 'ipv4' : 'ipv6');
}

function v4ToNumber(a: string): number {
  const [p0, p1, p2, p3] = a.split('.').map(Number) as [number, number, number, number];
  return ((p0 << 24) >>> 0) + (p1 << 16) + (p2 << 8) + p3;
}

/** An IPv6 address (already checked by `isIP`) as its high and low 64 bits. */
function v6ToBigInts(a: string): [bigint, bigint] {
  let text = a;
  const v4tail = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (v4tail) {
    const n = v4ToNumber(v4tail[1]!);
    text = text.slice(0, v4tail.index) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, null];
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const groups = tail === null ? headParts : [...headParts, ...Array(8 - headParts.length - tailParts.length).fill('0'), ...tailParts];
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(parseInt(g, 16));
  return [value >> 64n, value & MASK64];
}

/** Index of the last range whose start is <= the address (`before(i)`: start of range i is greater), or -1. */
function lastStartAtOrBelow(n: number, startIsAbove: (i: number) => boolean): number {
  let lo = 0;
  let hi = n - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (startIsAbove(mid)) hi = mid - 1;
    else { found = mid; lo = mid + 1; }
  }
  return found;
}

export interface CountryLookupOptions {
  /** Folder holding `dbip-country-ipv4-num.csv` and `dbip-country-ipv6-num.csv`; default: the installed package's. */
  dataDir?: string;
}

export class CountryLookup {
  #dataDir: string;
  #v4: Promise<V4Table> | null = null;
  #v6: Promise<V6Table> | null = null;

  constructor(options: CountryLookupOptions = {}) {
    this.#dataDir = options.dataDir ?? dirname(createRequire(import.meta.url).resolve('@ip-location-db/dbip-country/package.json'));
  }

  /** The ISO 3166-1 alpha-2 code of `address` (upper case), or null: not public, malformed, or not in the data. */
  async country(address: string): Promise<string | null> {
    const a = normalizeAddress(address);
    if (a === null || !isPublicAddress(a)) return null;
    if (isIP(a) === 4) {
      const t = await (this.#v4 ??= this.#retryable(this.#loadV4(), () => { this.#v4 = null; }));
      const n = v4ToNumber(a);
      const i = lastStartAtOrBelow(t.starts.length, (k) => t.starts[k]! > n);
      return i >= 0 && n <= t.ends[i]! ? unpackCode(t.codes[i]!) : null;
    }
    const t = await (this.#v6 ??= this.#retryable(this.#loadV6(), () => { this.#v6 = null; }));
    const [hi, lo] = v6ToBigInts(a);
    const i = lastStartAtOrBelow(t.codes.length, (k) => t.startHi[k]! > hi || (t.startHi[k] === hi && t.startLo[k]! > lo));
    if (i < 0) return null;
    const inside = hi < t.endHi[i]! || (hi === t.endHi[i] && lo <= t.endLo[i]!);
    return inside ? unpackCode(t.codes[i]!) : null;
  }

  /** A failed load (a file unreadable for a moment) is not remembered: the next lookup tries again. */
  #retryable<T>(load: Promise<T>, forget: () => void): Promise<T> {
    load.catch(forget);
    return load;
  }

  async #lines(file: string): Promise<string[]> {
    const text = await readFile(join(this.#dataDir, file), 'utf8');
    return text.split('\n').filter((l) => l.length > 0);
  }

  async #loadV4(): Promise<V4Table> {
    const lines = await this.#lines('dbip-country-ipv4-num.csv');
    const t: V4Table = { starts: new Uint32Array(lines.length), ends: new Uint32Array(lines.length), codes: new Uint16Array(lines.length) };
    lines.forEach((line, i) => {
      const [start, end, cc] = line.split(',') as [string, string, string];
      t.starts[i] = Number(start);
      t.ends[i] = Number(end);
      t.codes[i] = packCode(cc);
    });
    return t;
  }

  async #loadV6(): Promise<V6Table> {
    const lines = await this.#lines('dbip-country-ipv6-num.csv');
    const n = lines.length;
    const t: V6Table = {
      startHi: new BigUint64Array(n), startLo: new BigUint64Array(n), endHi: new BigUint64Array(n), endLo: new BigUint64Array(n),
      codes: new Uint16Array(n),
    };
    lines.forEach((line, i) => {
      const [start, end, cc] = line.split(',') as [string, string, string];
      const s = BigInt(start);
      const e = BigInt(end);
      t.startHi[i] = s >> 64n;
      t.startLo[i] = s & MASK64;
      t.endHi[i] = e >> 64n;
      t.endLo[i] = e & MASK64;
      t.codes[i] = packCode(cc);
    });
    return t;
  }
}

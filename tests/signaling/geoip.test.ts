/**
 * The country lookup (signaling/geoip.ts) against the data the package ships: addresses are taken from its own
 * CSV files (first, last and a middle address of some ranges, and an address in a gap between ranges), so the test
 * follows the data when the package is updated. Then which address a connection is taken to come from
 * (signaling/client-address.ts): a proxy's header only from a trusted proxy.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CountryLookup, isPublicAddress, normalizeAddress } from '../../signaling/geoip.ts';
import { clientAddress, trustedProxies } from '../../signaling/client-address.ts';
import { COUNTRY_CODES } from '../../signaling/protocol.ts';

const DATA = dirname(createRequire(import.meta.url).resolve('@ip-location-db/dbip-country/package.json'));
const rows = (file: string) => readFileSync(join(DATA, file), 'utf8').split('\n').filter(Boolean).map((l) => l.split(',') as [string, string, string]);
const v4 = rows('dbip-country-ipv4.csv');
const v4num = rows('dbip-country-ipv4-num.csv');
const v6 = rows('dbip-country-ipv6.csv');
const v6num = rows('dbip-country-ipv6-num.csv');

const v4text = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const v6text = (n: bigint) => {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(':');
};

/** Spread over the table: a few hundred rows from start to end. */
const sample = <T>(list: T[], count: number): T[] => Array.from({ length: count }, (_, i) => list[Math.floor((i * (list.length - 1)) / (count - 1))]!);

const lookup = new CountryLookup();

const v4suite = suite('country lookup: IPv4');
v4suite('the first, last and a middle address of ranges across the table have the range\'s country', async () => {
  for (const [start, end, cc] of sample(v4num, 300)) {
    const s = Number(start);
    const e = Number(end);
    for (const n of [s, e, Math.floor((s + e) / 2)]) {
      if (!isPublicAddress(v4text(n))) continue;
      assert.is(await lookup.country(v4text(n)), cc, `${v4text(n)} in ${start}..${end}`);
    }
  }
});
v4suite('dotted and numeric files agree; IPv4-mapped IPv6 is looked up as IPv4', async () => {
  const [start, , cc] = v4.find(([s]) => isPublicAddress(s))!;
  assert.is(await lookup.country(start), cc);
  assert.is(await lookup.country(`::ffff:${start}`), cc);
});
v4suite('an address in a gap between ranges has no country', async () => {
  const gap = v4num.findIndex(([, end], i) => i + 1 < v4num.length && Number(end) + 1 < Number(v4num[i + 1]![0]) && isPublicAddress(v4text(Number(end) + 1)));
  if (gap < 0) return; // the data covers every public IPv4 address: nothing to check
  assert.is(await lookup.country(v4text(Number(v4num[gap]![1]) + 1)), null);
});

const v6suite = suite('country lookup: IPv6');
v6suite('the first, last and a middle address of ranges across the table have the range\'s country', async () => {
  for (const [start, end, cc] of sample(v6num, 300)) {
    const s = BigInt(start);
    const e = BigInt(end);
    for (const n of [s, e, (s + e) / 2n]) {
      if (!isPublicAddress(v6text(n))) continue;
      assert.is(await lookup.country(v6text(n)), cc, `${v6text(n)}`);
    }
  }
});
v6suite('compressed notation and the dotted files give the same answer', async () => {
  for (const [start, , cc] of sample(v6, 50)) assert.is(await lookup.country(start), cc, start);
});
v6suite('an address in a gap between ranges, or past the last, has no country', async () => {
  const gap = v6num.findIndex(([, end], i) => i + 1 < v6num.length && BigInt(end) + 1n < BigInt(v6num[i + 1]![0]));
  assert.ok(gap >= 0, 'the IPv6 table has gaps');
  assert.is(await lookup.country(v6text(BigInt(v6num[gap]![1]) + 1n)), null);
  assert.is(await lookup.country('2001:db8::1'), null, 'documentation range');
});

const special = suite('country lookup: not public, unknown, malformed');
special('loopback, private, link-local, shared and multicast addresses have no country', async () => {
  for (const a of ['127.0.0.1', '10.1.2.3', '172.16.5.4', '192.168.1.1', '169.254.1.1', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fd00::1', 'fe80::1%eth0', '::ffff:127.0.0.1']) {
    assert.not.ok(isPublicAddress(a), a);
    assert.is(await lookup.country(a), null, a);
  }
});
special('malformed strings have no country and throw nothing', async () => {
  for (const a of ['', 'abc', '1.2.3', '999.1.1.1', '1.2.3.4.5', '::g', '1:2:3:4:5:6:7:8:9', '[::1', ' ', '1.2.3.4/24']) {
    assert.is(normalizeAddress(a), null, a);
    assert.is(await lookup.country(a), null, JSON.stringify(a));
  }
});
special('without its data the lookup fails loudly (and tries again next time); non-public addresses need no data', async () => {
  const broken = new CountryLookup({ dataDir: join(DATA, 'missing') });
  assert.is(await broken.country('127.0.0.1'), null);
  for (let i = 0; i < 2; i++) {
    const err = await broken.country(v4[1000]![0]).then(() => null, (e: unknown) => e as NodeJS.ErrnoException);
    assert.is(err?.code, 'ENOENT', `attempt ${i + 1}`);
  }
});
special('every country the data can answer is one a model can choose (protocol COUNTRY_CODES)', () => {
  const codes = new Set([...v4, ...v6].map(([, , cc]) => cc));
  for (const cc of codes) assert.ok(COUNTRY_CODES.includes(cc), cc);
});

const address = suite('client address: the socket\'s peer, a proxy header only from a trusted proxy');
const trust = { header: 'x-forwarded-for', proxies: trustedProxies(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']) };
address('without trust, the peer address, whatever the headers say', () => {
  assert.is(clientAddress('::ffff:203.0.113.9', { 'x-forwarded-for': '198.51.100.1' }, null), '203.0.113.9');
  assert.is(clientAddress(undefined, {}, null), null);
});
address('a trusted peer\'s header names the client: the right-most entry that is no trusted proxy', () => {
  assert.is(clientAddress('127.0.0.1', { 'x-forwarded-for': '198.51.100.1' }, trust), '198.51.100.1');
  assert.is(clientAddress('127.0.0.1', { 'x-forwarded-for': '6.6.6.6, 198.51.100.1, 10.2.3.4' }, trust), '198.51.100.1', 'forged left part ignored');
  assert.is(clientAddress('127.0.0.1', { 'x-forwarded-for': '198.51.100.1:4711' }, trust), '198.51.100.1', 'port dropped');
  assert.is(clientAddress('127.0.0.1', { 'x-forwarded-for': '[2001:db8::7]:443' }, trust), '2001:db8::7');
  assert.is(clientAddress('fd00::5', { 'x-forwarded-for': '2001:db8::7' }, trust), '2001:db8::7', 'IPv6 proxy range');
});
address('a trusted peer with a missing or malformed header gives no address', () => {
  assert.is(clientAddress('127.0.0.1', {}, trust), null);
  assert.is(clientAddress('127.0.0.1', { 'x-forwarded-for': 'garbage' }, trust), null);
});
address('an untrusted peer\'s header is ignored', () => {
  assert.is(clientAddress('127.0.0.2', { 'x-forwarded-for': '198.51.100.1' }, trust), '127.0.0.2');
  assert.is(clientAddress('203.0.113.9', { 'x-forwarded-for': '198.51.100.1' }, trust), '203.0.113.9');
});

v4suite.run();
v6suite.run();
special.run();
address.run();

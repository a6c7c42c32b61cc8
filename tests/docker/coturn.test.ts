/**
 * docker/coturn/turnserver.conf, the coturn of the compose deployment: its denied peer ranges cover every range a
 * relay must never reach (parsed from the file), and a real coturn started with the file refuses those peers
 * (403 Forbidden IP on CreatePermission) while a public peer is accepted, and runs without TCP relays.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { turnCredentials } from '../../signaling/turn.ts';
import { TurnClient, TurnRefused, type Address } from '../signaling/turn-client.ts';
import { root } from './compose.ts';

const confPath = join(root, 'docker', 'coturn', 'turnserver.conf');
const lines = readFileSync(confPath, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ranges no relay may reach (RFC 6890 special-purpose and the like), as CIDR; coturn refuses `::` itself. */
const MUST_DENY = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
  '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
  '::1/128', '::ffff:0:0/96', '64:ff9b::/96', 'fc00::/7', 'fe80::/10', 'ff00::/8', '2001:db8::/32', '2002::/16',
];

/** First and last address of a CIDR range. */
function bounds(cidr: string): [string, string] {
  const [net, bits] = cidr.split('/') as [string, string];
  const v6 = isIP(net) === 6;
  const width = v6 ? 128 : 32;
  const list = new BlockList();
  list.addAddress(net, v6 ? 'ipv6' : 'ipv4');
  const value = v6 ? ipv6ToBig(net) : BigInt(net.split('.').reduce((a, x) => a * 256 + Number(x), 0));
  const host = (1n << BigInt(width - Number(bits))) - 1n;
  const first = value & ~host & ((1n << BigInt(width)) - 1n);
  return [bigToIp(first, v6), bigToIp(first | host, v6)];
}

function ipv6ToBig(ip: string): bigint {
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = v4[1]!.split('.').map(Number);
    text = text.replace(v4[1]!, `${((n[0]! << 8) | n[1]!).toString(16)}:${((n[2]! << 8) | n[3]!).toString(16)}`);
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function bigToIp(v: bigint, v6: boolean): string {
  if (!v6) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
  return Array.from({ length: 8 }, (_, i) => ((v >> BigInt((7 - i) * 16)) & 0xffffn).toString(16)).join(':');
}

const denied = lines.filter((l) => l.startsWith('denied-peer-ip=')).map((l) => l.slice('denied-peer-ip='.length));

const file = suite('coturn.conf: what it refuses');

file('every range a relay must never reach is inside one denied-peer-ip range', () => {
  const missing = MUST_DENY.filter((cidr) => {
    const [first, last] = bounds(cidr);
    const family = isIP(first) === 6 ? 'ipv6' : 'ipv4';
    return !denied.some((range) => {
      const [from, to = from] = range.split('-') as [string, string | undefined];
      if ((isIP(from) === 6 ? 'ipv6' : 'ipv4') !== family) return false;
      const list = new BlockList();
      list.addRange(from, to!, family);
      return list.check(first, family) && list.check(last, family);
    });
  });
  assert.equal(missing, [], 'ranges not denied');
});

file('UDP relays only, no multicast, no loopback, nothing allowed past the ranges, TLS on 5349', () => {
  for (const flag of ['no-tcp-relay', 'no-multicast-peers', 'use-auth-secret', 'no-cli', 'no-tlsv1', 'no-tlsv1_1']) assert.ok(lines.includes(flag), flag);
  assert.not.ok(lines.some((l) => /^(allow-loopback-peers|allowed-peer-ip|no-auth|lt-cred-mech)/.test(l)));
  assert.ok(lines.includes('tls-listening-port=5349'));
  assert.ok(lines.includes('cert=/etc/coturn/certs/fullchain.pem') && lines.includes('pkey=/etc/coturn/certs/privkey.pem'));
});

const real = suite('coturn.conf: a real coturn');
const dir = mkdtempSync(join(tmpdir(), 'livecam-coturn-conf-'));
const secret = randomBytes(24).toString('base64url');
let port = 0;
let child: ReturnType<typeof spawn> | undefined;

real.before(async () => {
  port = 30_000 + (process.pid % 5_000);
  child = spawn('turnserver', [
    '-c', confPath, '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`, `--tls-listening-port=${port + 1}`,
    `--static-auth-secret=${secret}`, '--realm=livecam.test', `--log-file=${join(dir, 'turn.log')}`, '--simple-log',
    `--pidfile=${join(dir, 'turn.pid')}`, `--db=${join(dir, 'turndb')}`,
  ], { stdio: 'ignore' });
  const deadline = Date.now() + 15_000;
  for (;;) {
    let text = '';
    try { text = readFileSync(join(dir, 'turn.log'), 'utf8'); } catch { /* not yet */ }
    if (/Total General servers|listener opened on/i.test(text)) break;
    if (child.exitCode !== null) throw new Error(`turnserver exited ${child.exitCode}: ${text.slice(-500)}`);
    if (Date.now() > deadline) throw new Error(`turnserver did not start: ${text.slice(-500)}`);
    await sleep(50);
  }
});

real.after(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(3_000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

real('loopback, metadata, private and reserved peers get 403; a public peer is permitted', async () => {
  const creds = turnCredentials([`turn:127.0.0.1:${port}`], secret, 600);
  // The log line comes just before the listeners answer: retry the first allocation for a while.
  let client: TurnClient | undefined;
  for (const deadline = Date.now() + 10_000; !client;) {
    client = await TurnClient.allocate(['127.0.0.1', port], creds.username, creds.credential).catch((err: unknown) => {
      if (err instanceof TurnRefused || Date.now() > deadline) throw err;
      return undefined;
    });
  }
  try {
    const status = (peer: Address) => client.permit(peer).then(() => 200, (err: unknown) => (err instanceof TurnRefused ? err.status : -1));
    const refused: Record<string, number> = {};
    for (const ip of ['127.0.0.1', '127.0.0.53', '169.254.169.254', '10.0.0.1', '100.64.0.1', '172.16.0.1', '192.168.1.1', '0.0.0.1', '192.0.0.8', '198.18.0.1', '224.0.0.251', '240.0.0.1']) {
      refused[ip] = await status([ip, 9]);
    }
    assert.equal(Object.entries(refused).filter(([, s]) => s !== 403), [], 'every one refused with 403');
    // CreatePermission sends nothing to the peer: this only shows that refusals come from the ranges.
    assert.is(await status(['8.8.8.8', 9]), 200);
  } finally {
    client.close();
  }
  assert.match(readFileSync(join(dir, 'turn.log'), 'utf8'), /--no-tcp-relay: TCP relay endpoints are not allowed/);
});

file.run();
real.run();

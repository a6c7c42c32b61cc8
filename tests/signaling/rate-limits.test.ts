/**
 * Rate limits that a reconnect does not reset (issue 14): a logged-in socket's events count against its identity
 * (every socket, every process: over Redis), other events, login attempts and the HTTP API against the connecting
 * address (kept in memory only: nothing of it reaches Redis). The windows are long (60 s) so that a loaded
 * machine cannot let one end between the burst and the reconnect.
 */
import { io as connect } from 'socket.io-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AGE_DOCUMENT_PATH } from '../../signaling/protocol.ts';
import { createIdentity } from '../../crypto/identity.ts';
import { sealDocument } from '../../crypto/age.ts';
import { toBase64url } from '../../crypto/encoding.ts';
import type { Tuning } from '../../signaling/context.ts';
import { call, client, connected, login, ok, startRedis, startServer, testConfig, type ClientSocket, type RedisHandle, type Running, type User } from './helpers.ts';

/** 60 events per identity per 60 s. */
const IDENTITY_BUDGET: Partial<Tuning> = { eventsPerSecond: 1, eventBurstSeconds: 60 };

async function codes(s: ClientSocket, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await call(s, 'directory:subscribe', {});
    out.push(r.ok ? 'ok' : r.error.code);
  }
  return out;
}

/** Uses up a logged-in identity's event budget: the first 60 pass, then RATE_LIMITED. */
async function exhaust(u: User): Promise<void> {
  const got = await codes(u.socket, 62);
  assert.is(got.filter((c) => c === 'ok').length, 60, got.join());
  assert.equal(got.slice(60), ['RATE_LIMITED', 'RATE_LIMITED']);
}

async function resumeOn(url: string, u: User): Promise<ClientSocket> {
  const s = client(url);
  await connected(s);
  await ok(s, 'session:resume', { token: u.token });
  return s;
}

const identity = suite('event limit per identity (memory store)');
let run: Running;
identity.before(async () => { run = await startServer({ tuning: IDENTITY_BUDGET }); });
identity.after(async () => { await run.server.close(); });

identity('a reconnect, or a second socket of the same identity, does not reset it; another identity is not affected', async () => {
  const a = await login(run.url, 'client');
  const second = await resumeOn(run.url, a); // opened before the burst: the budget is the identity's, not the socket's
  await exhaust(a);
  assert.equal(await codes(second, 1), ['RATE_LIMITED'], 'the other socket of the identity shares the budget');
  a.socket.close();
  const again = await resumeOn(run.url, a); // the resume itself counts against the address, and passes
  assert.equal(await codes(again, 1), ['RATE_LIMITED'], 'a reconnect keeps the count');
  const b = await login(run.url, 'client');
  assert.equal(await codes(b.socket, 5), ['ok', 'ok', 'ok', 'ok', 'ok'], 'another identity has its own budget');
  for (const s of [second, again, b.socket]) s.close();
});

const address = suite('limits per connecting address');

address('login attempts: a new socket from the same address gets no fresh attempts', async () => {
  const r = await startServer({ tuning: { loginsPerMinute: 3 } });
  const s = client(r.url);
  await connected(s);
  const got: string[] = [];
  for (let i = 0; i < 4; i++) {
    const res = await call(s, 'session:challenge', {});
    got.push(res.ok ? 'ok' : res.error.code);
  }
  assert.equal(got, ['ok', 'ok', 'ok', 'RATE_LIMITED']);
  s.close();
  const t = client(r.url);
  await connected(t);
  const res = await call(t, 'session:challenge', {});
  assert.is(res.ok ? 'ok' : res.error.code, 'RATE_LIMITED');
  t.close();
  await r.server.close();
});

address('events before a login count per address, across sockets', async () => {
  const r = await startServer({ tuning: { anonymousEventsPerSecond: 1, eventBurstSeconds: 60 } });
  const s = client(r.url);
  await connected(s);
  const got = await codes(s, 61);
  assert.is(got.filter((c) => c === 'ok').length, 60, got.join());
  assert.is(got[60], 'RATE_LIMITED');
  s.close();
  const t = client(r.url);
  await connected(t);
  assert.equal(await codes(t, 1), ['RATE_LIMITED']);
  t.close();
  await r.server.close();
});

address('HTTP API requests: 429 RATE_LIMITED with Retry-After and the JSON error body past the budget', async () => {
  const r = await startServer({ tuning: { httpRequestsPerMinute: 3 } });
  const post = () => fetch(`${r.url}${AGE_DOCUMENT_PATH}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'x' });
  for (let i = 0; i < 3; i++) assert.is((await post()).status, 401);
  const limited = await post();
  assert.is(limited.status, 429);
  assert.ok(Number(limited.headers.get('retry-after')) >= 1, 'Retry-After in seconds');
  assert.equal(await limited.json(), { error: { code: 'RATE_LIMITED', message: 'too many requests; try again later' } });
  const metrics = await fetch(`${r.url}/metrics`);
  assert.is(metrics.status, 200, 'routes outside /api and the upload are not counted');
  await r.server.close();
});

address('age documents: an address gets its budget an hour, by socket and HTTP together, whatever the identities', async () => {
  const verifier = await createIdentity();
  const r = await startServer({ env: { VERIFIER_PUBLIC_KEYS: verifier.publicKey, AGE_VERIFICATION: 'required' }, tuning: { ageDocumentsPerAddressPerHour: 2 } });
  const models = [await login(r.url, 'model'), await login(r.url, 'model'), await login(r.url, 'model')];
  const sealed = async (m: User) => sealDocument(verifier.publicKey, new Uint8Array(64).fill(1), m.identity);
  const upload = async (m: User) => fetch(`${r.url}${AGE_DOCUMENT_PATH}?verifierKey=${verifier.publicKey}`, {
    method: 'POST', headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${m.token}` }, body: (await sealed(m)) as unknown as BodyInit,
  });
  const bySocket = async (m: User) => {
    const res = await call(m.socket, 'age:submit', { sealedDocument: toBase64url(await sealed(m)), verifierKey: verifier.publicKey });
    return res.ok ? 'ok' : res.error.code;
  };
  assert.is(await bySocket(models[0]!), 'ok');
  assert.is((await upload(models[1]!)).status, 200);
  assert.is(await bySocket(models[2]!), 'RATE_LIMITED', 'a third identity from the same address');
  const refused = await upload(models[2]!);
  assert.is(refused.status, 429);
  assert.is(((await refused.json()) as { error: { code: string } }).error.code, 'RATE_LIMITED');
  assert.is((await ok(models[2]!.socket, 'age:status', {})).status, 'none', 'nothing was queued for it');
  for (const m of models) m.socket.close();
  await r.server.close();
});

/** A socket from 127.0.0.1 that says, in `x-forwarded-for`, which client a proxy forwards. */
async function forwardedFor(url: string, forwarded: string): Promise<ClientSocket> {
  const s: ClientSocket = connect(url, {
    transports: ['websocket'], reconnection: false, forceNew: true, auth: { v: 1 }, extraHeaders: { 'x-forwarded-for': forwarded },
  } as Parameters<typeof connect>[1]);
  await connected(s);
  return s;
}

async function challenges(s: ClientSocket, n: number): Promise<string[]> {
  const got: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await call(s, 'session:challenge', {});
    got.push(res.ok ? 'ok' : res.error.code);
  }
  return got;
}

address('behind a trusted proxy each forwarded client has its own budget; the header of an untrusted peer counts nothing', async () => {
  const proxied = await startServer({ env: { TRUSTED_PROXY_HEADER: 'x-forwarded-for', TRUSTED_PROXIES: '127.0.0.1' }, tuning: { loginsPerMinute: 2, maxConnectionsPerAddress: 2 } });
  const a = await forwardedFor(proxied.url, '203.0.113.7');
  assert.equal(await challenges(a, 3), ['ok', 'ok', 'RATE_LIMITED']);
  const b = await forwardedFor(proxied.url, '198.51.100.9');
  assert.equal(await challenges(b, 2), ['ok', 'ok'], 'another client behind the same proxy is not limited by the first');
  const a2 = await forwardedFor(proxied.url, '198.51.100.66, 203.0.113.7');
  assert.equal(await challenges(a2, 1), ['RATE_LIMITED'], 'the right-most forwarded address counts, whatever the client prepends');
  // The connection limit counts forwarded clients too: a third socket of 203.0.113.7 is refused, another client's is not.
  const refused = await new Promise<string>((resolve) => {
    const s = connect(proxied.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { v: 1 }, extraHeaders: { 'x-forwarded-for': '203.0.113.7' } } as Parameters<typeof connect>[1]);
    s.on('connect_error', (err) => { s.close(); resolve(err.message); });
    s.on('connect', () => { s.close(); resolve('connected'); });
  });
  assert.is(refused, 'too many connections');
  const c = await forwardedFor(proxied.url, '192.0.2.1');
  for (const s of [a, b, a2, c]) s.close();
  await proxied.server.close();

  const direct = await startServer({ tuning: { loginsPerMinute: 2 } });
  const x = await forwardedFor(direct.url, '203.0.113.7');
  assert.equal(await challenges(x, 3), ['ok', 'ok', 'RATE_LIMITED']);
  const y = await forwardedFor(direct.url, '198.51.100.9');
  assert.equal(await challenges(y, 1), ['RATE_LIMITED'], 'without a trusted proxy the header is ignored: one address');
  for (const s of [x, y]) s.close();
  await direct.server.close();
});

address('ADDRESS_RATE_LIMITS=off (behind a proxy): no per-address limit, the identity limit stays', async () => {
  const r = await startServer({ env: { ADDRESS_RATE_LIMITS: 'off' }, tuning: { ...IDENTITY_BUDGET, loginsPerMinute: 3, anonymousEventsPerSecond: 1 } });
  const s = client(r.url);
  await connected(s);
  for (let i = 0; i < 5; i++) await ok(s, 'session:challenge', {});
  s.close();
  const u = await login(r.url, 'client');
  await exhaust(u);
  u.socket.close();
  await r.server.close();
});

const shared = suite('event limit per identity across processes (Redis)');
let redis: RedisHandle;
let one: Running;
let two: Running;
shared.before(async () => {
  redis = await startRedis();
  const config = testConfig({ REDIS_URL: redis.url });
  one = await startServer({ config, tuning: IDENTITY_BUDGET });
  two = await startServer({ config, tuning: IDENTITY_BUDGET });
});
shared.after(async () => {
  await one?.server.close();
  await two?.server.close();
  await redis?.stop();
});

shared('an identity limited on one process is limited on the other; Redis holds identity keys, never an address', async () => {
  const a = await login(one.url, 'client');
  await exhaust(a);
  const moved = await resumeOn(two.url, a);
  assert.equal(await codes(moved, 1), ['RATE_LIMITED'], 'the count lives in the store');
  const b = await login(two.url, 'client');
  assert.equal(await codes(b.socket, 3), ['ok', 'ok', 'ok']);
  const limiterKeys = await one.server.store.keys('lc:rl:');
  assert.ok(limiterKeys.length > 0, 'the identity counters are in Redis');
  for (const k of limiterKeys) assert.ok([a.key, b.key].some((key) => k.endsWith(`:${key}`)), `a limiter key names an identity only: ${k}`);
  for (const s of [a.socket, moved, b.socket]) s.close();
});

identity.run();
address.run();
shared.run();

/**
 * A model hides from a country (issue 16), on loopback behind a "reverse proxy": the server trusts
 * `x-forwarded-for` from 127.0.0.1 only, and each viewer's header names an address that the shipped data puts in
 * a country. A viewer from the hidden country does not see the model (list and live updates) and cannot watch
 * or request a private show (REGION_BLOCKED); a viewer from another country can; the same header from an
 * untrusted peer (127.0.0.2) is ignored. A change of the list takes effect at once. Afterwards neither Redis nor
 * the captured logs hold any of the addresses, and the list itself is stored only sealed and dies with the account.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { createClient } from 'redis';
import { get } from 'node:http';
import { JsonRpcProvider } from 'ethers';
import pino from 'pino';
import { createChainRouter } from '../../signaling/chain-routes.ts';
import { RECEIVER_PATH } from '../../signaling/protocol.ts';
import { io as connect } from 'socket.io-client';
import { createLogger } from '../../signaling/logger.ts';
import type { DirectoryEntry, Role } from '../../signaling/protocol.ts';
import { CountryLookup, isPublicAddress } from '../../signaling/geoip.ts';
import { call, connected, login, mediaArrives, next, ok, startRedis, startServer, until, type ClientSocket, type RedisHandle, type Running, type User } from './helpers.ts';
import { signChallenge } from '../../crypto/login.ts';
import { createIdentity } from '../../crypto/identity.ts';

const DATA = dirname(createRequire(import.meta.url).resolve('@ip-location-db/dbip-country/package.json'));
/** A public address of `country`, as the shipped data says: the middle of its first range. */
function addressIn(country: string, family: 4 | 6): string {
  const file = family === 4 ? 'dbip-country-ipv4-num.csv' : 'dbip-country-ipv6-num.csv';
  for (const line of readFileSync(join(DATA, file), 'utf8').split('\n')) {
    const [start, end, cc] = line.split(',');
    if (cc !== country || !start || !end) continue;
    const mid = (BigInt(start) + BigInt(end)) / 2n;
    const text = family === 4
      ? [24n, 16n, 8n, 0n].map((b) => String((mid >> b) & 255n)).join('.')
      : [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((b) => ((mid >> b) & 0xffffn).toString(16)).join(':');
    if (isPublicAddress(text)) return text;
  }
  throw new Error(`no ${country} range in ${file}`);
}

const HIDDEN = 'DE';
const OTHER = 'FR';
const FROM_HIDDEN = addressIn(HIDDEN, 4);
const FROM_HIDDEN_V6 = addressIn(HIDDEN, 6);
const FROM_OTHER = addressIn(OTHER, 4);
const CHANNEL = '0x' + 'ab'.repeat(32);

const lines: string[] = [];
const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
let redis: RedisHandle;
let run: Running;

/** A connection that carries `x-forwarded-for: forwarded`, from `localAddress`. */
async function socketFrom(forwarded: string, localAddress = '127.0.0.1'): Promise<ClientSocket> {
  const socket: ClientSocket = connect(run.url, {
    transports: ['websocket'], reconnection: false, forceNew: true, auth: { v: 1 },
    extraHeaders: { 'x-forwarded-for': forwarded }, localAddress,
  } as Parameters<typeof connect>[1]);
  await connected(socket);
  return socket;
}

/** A fresh identity (a client unless `role` says otherwise), logged in over `socketFrom(forwarded, localAddress)`. */
async function viewerFrom(forwarded: string, localAddress = '127.0.0.1', role: Role = 'client'): Promise<User & { updates: DirectoryEntry[] }> {
  const socket = await socketFrom(forwarded, localAddress);
  const identity = await createIdentity();
  const { challenge } = await ok(socket, 'session:challenge', {});
  const { signature } = await signChallenge(identity, JSON.parse(challenge));
  const res = await ok(socket, 'session:login', { publicKey: identity.publicKey, challenge, signature, role });
  const updates: DirectoryEntry[] = [];
  socket.on('directory:update', (e) => updates.push(e));
  return { identity, socket, token: res.token, pseudonym: res.pseudonym, key: res.key, updates };
}

const listed = async (v: User, model: string) => (await ok(v.socket, 'directory:subscribe', {})).models.some((m) => m.key === model);

const t = suite('regions: a model hides from a country');
let model: User;
let fromHidden: Awaited<ReturnType<typeof viewerFrom>>;
let fromHiddenV6: Awaited<ReturnType<typeof viewerFrom>>;
let fromOther: Awaited<ReturnType<typeof viewerFrom>>;
let forged: Awaited<ReturnType<typeof viewerFrom>>;
let showId: string;

t.before(async () => {
  redis = await startRedis();
  run = await startServer({
    logger: createLogger('trace', sink),
    env: { REDIS_URL: redis.url, LOG_LEVEL: 'trace', TRUSTED_PROXY_HEADER: 'x-forwarded-for', TRUSTED_PROXIES: '127.0.0.1' },
  });
  model = await login(run.url, 'model'); // no header: its proxy is the test, a trusted peer without a header: no country
  await ok(model.socket, 'model:setPrice', { pricePerMinute: '5', minMinutes: 1 });
  assert.equal((await ok(model.socket, 'regions:set', { countries: [HIDDEN] })).countries, [HIDDEN]);
  showId = (await ok(model.socket, 'show:open', {})).showId;
  await mediaArrives(run, model, showId);
  fromHidden = await viewerFrom(FROM_HIDDEN);
  fromHiddenV6 = await viewerFrom(`${FROM_HIDDEN_V6}, 127.0.0.1`);
  fromOther = await viewerFrom(FROM_OTHER);
  forged = await viewerFrom(FROM_HIDDEN, '127.0.0.2');
});
t.after(async () => {
  for (const u of [model, fromHidden, fromHiddenV6, fromOther, forged]) u?.socket.close();
  await run?.server.close();
  await redis?.stop();
});

t('the directory list leaves the model out for the hidden country only', async () => {
  assert.equal((await ok(model.socket, 'regions:get', {})).countries, [HIDDEN]);
  assert.not.ok(await listed(fromHidden, model.key), 'hidden country (IPv4)');
  assert.not.ok(await listed(fromHiddenV6, model.key), 'hidden country (IPv6, through a chain of proxies)');
  assert.ok(await listed(fromOther, model.key), 'another country');
  assert.ok(await listed(forged, model.key), 'a forged header from an untrusted peer is ignored');
});

t('live updates reach the other country, not the hidden one', async () => {
  const seen = [fromOther, forged].map((v) => next(v.socket, 'directory:update', (e) => e.key === model.key && e.pricePerMinute === '6'));
  await ok(model.socket, 'model:setPrice', { pricePerMinute: '6', minMinutes: 1 });
  await Promise.all(seen);
  // A round trip on each hidden socket: a push sent before its ack would have arrived by now.
  for (const v of [fromHidden, fromHiddenV6]) {
    await ok(v.socket, 'directory:subscribe', {});
    assert.not.ok(v.updates.some((e) => e.key === model.key), 'no update of the model reached the hidden country');
  }
});

t('watch and private requests from the hidden country are refused with REGION_BLOCKED', async () => {
  for (const v of [fromHidden, fromHiddenV6]) {
    const watch = await call(v.socket, 'show:watch', { model: model.key });
    assert.is(!watch.ok && watch.error.code, 'REGION_BLOCKED');
    const request = await call(v.socket, 'private:request', { model: model.key, pricePerMinute: '6', minMinutes: 1, channelId: CHANNEL });
    assert.is(!request.ok && request.error.code, 'REGION_BLOCKED');
  }
  for (const v of [fromOther, forged]) {
    assert.is((await ok(v.socket, 'show:watch', { model: model.key })).showId, showId);
    const request = await call(v.socket, 'private:request', { model: model.key, pricePerMinute: '6', minMinutes: 1, channelId: CHANNEL });
    // Past the region check: this server has no chain, so the channel check is the next to answer.
    assert.is(!request.ok && request.error.code, 'CHAIN_UNAVAILABLE');
  }
});

t('a change applies at once: the newly hidden country loses the model and its show, the other one gets it back', async () => {
  const goneForOther = next(fromOther.socket, 'directory:update', (e) => e.key === model.key && e.status === 'offline');
  const ended = next(fromOther.socket, 'show:ended', (e) => e.showId === showId);
  const backForHidden = next(fromHidden.socket, 'directory:update', (e) => e.key === model.key && e.status === 'public');
  assert.equal((await ok(model.socket, 'regions:set', { countries: [OTHER] })).countries, [OTHER]);
  await goneForOther;
  assert.is((await ended).reason, 'region');
  await backForHidden;
  assert.ok(await listed(fromHidden, model.key));
  assert.not.ok(await listed(fromOther, model.key));
  const watch = await call(fromOther.socket, 'show:watch', { model: model.key });
  assert.is(!watch.ok && watch.error.code, 'REGION_BLOCKED');
  assert.ok((await ok(fromHidden.socket, 'show:watch', { model: model.key })).ok);
  assert.ok(await listed(forged, model.key), 'the untrusted peer still has no country');
});

/** GET of `path` on the server with `x-forwarded-for: forwarded`, from `localAddress`: status and JSON body. */
function httpGet(path: string, forwarded: string, localAddress = '127.0.0.1'): Promise<{ status: number; body: { address?: string; error?: { code: string } } }> {
  return new Promise((resolve, reject) => {
    get(`${run.url}${path}`, { headers: { 'x-forwarded-for': forwarded }, localAddress }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => { text += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    }).on('error', reject);
  });
}

t('over HTTP too: the model\'s receiver wallet is refused to the hidden country (REGION_BLOCKED), told to others', async () => {
  const chain = { provider: new JsonRpcProvider('http://127.0.0.1:9', 31337, { staticNetwork: true }), rpcUrl: 'http://127.0.0.1:9', chainId: 31337, addresses: { token: '0x' + '1'.repeat(40), channels: '0x' + '2'.repeat(40) } };
  run.server.app.use(createChainRouter({ chain, devChain: null, store: run.server.store, logger: pino({ level: 'silent' }), hidesFrom: (m, req) => run.server.hidesFrom(m, req) }));
  const wallet = '0x' + 'ab'.repeat(20);
  await run.server.store.setWallet(model.key, wallet);
  const path = `${RECEIVER_PATH}/${model.key}`;
  const blocked = await httpGet(path, FROM_OTHER); // hidden since the change above
  assert.equal([blocked.status, blocked.body.error?.code], [403, 'REGION_BLOCKED']);
  assert.equal(await httpGet(path, FROM_HIDDEN), { status: 200, body: { address: wallet } });
  assert.equal(await httpGet(path, FROM_OTHER, '127.0.0.2'), { status: 200, body: { address: wallet } }, 'forged header from an untrusted peer');
});

t('a resume from a country hidden meanwhile does not rejoin the show', async () => {
  fromHidden.socket.close(); // watching since the change above, then gone
  assert.equal((await ok(model.socket, 'regions:set', { countries: [HIDDEN] })).countries, [HIDDEN]);
  const socket = await socketFrom(FROM_HIDDEN);
  const resumed = await ok(socket, 'session:resume', { token: fromHidden.token });
  assert.is(resumed.key, fromHidden.key);
  assert.not.ok(resumed.showIds.includes(showId), 'not back in the show');
  const watch = await call(socket, 'show:watch', { model: model.key });
  assert.is(!watch.ok && watch.error.code, 'REGION_BLOCKED');
  fromHidden = { ...fromHidden, socket };
});

t('bad lists are refused with BAD_REQUEST, a client cannot set one', async () => {
  for (const countries of [['de'], ['ZZ'], [HIDDEN, HIDDEN], 'DE', [1]]) {
    const res = await call(model.socket, 'regions:set', { countries });
    assert.is(!res.ok && res.error.code, 'BAD_REQUEST', JSON.stringify(countries));
  }
  const res = await call(fromOther.socket, 'regions:set', { countries: [] });
  assert.is(!res.ok && res.error.code, 'FORBIDDEN');
  assert.equal((await ok(model.socket, 'regions:get', {})).countries, [HIDDEN], 'unchanged');
});

t('a model in a country it hides from still sees itself, and others from there do not', async () => {
  const local = await viewerFrom(FROM_HIDDEN, '127.0.0.1', 'model');
  try {
    await ok(local.socket, 'regions:set', { countries: [HIDDEN] });
    assert.ok(await listed(local, local.key), 'its own entry');
    assert.not.ok(await listed(local, model.key), 'another model hiding from there');
    assert.not.ok(await listed(fromHidden, local.key), 'a viewer from there');
    assert.ok(await listed(fromOther, local.key), 'a viewer from elsewhere');
  } finally {
    local.socket.close();
  }
});

t('Redis and the logs hold no address; the list is sealed and dies with the account', async () => {
  const db = createClient({ url: redis.url });
  await db.connect();
  try {
    const values: string[] = [];
    for await (const batch of db.scanIterator({ MATCH: '*', COUNT: 1000 })) {
      for (const key of batch) {
        const type = String(await db.sendCommand(['TYPE', key]));
        const cmd = type === 'string' ? ['GET', key] : type === 'hash' ? ['HGETALL', key] : type === 'set' ? ['SMEMBERS', key] : ['TYPE', key];
        values.push(key, JSON.stringify(await db.sendCommand(cmd)));
      }
    }
    const stored = values.join('\n');
    const logs = lines.join('');
    assert.ok(logs.includes('hidden countries set'), 'the logs were captured');
    for (const address of [FROM_HIDDEN, FROM_HIDDEN_V6, FROM_OTHER, '127.0.0.2']) {
      assert.not.ok(stored.includes(address), `${address} in Redis`);
      assert.not.ok(logs.includes(address), `${address} in the logs`);
    }
    const record = await db.get(`lc:rec:${model.key}:regions`);
    assert.ok(record && !record.includes(`"${HIDDEN}"`), 'the list is stored sealed');
    await ok(model.socket, 'account:delete', {});
    await until(async () => (await db.get(`lc:rec:${model.key}:regions`)) === null, 10_000, 'the record deleted');
    assert.is(await db.get(`lc:dk:${model.key}`), null, 'and its data key');
  } finally {
    await db.close();
  }
});

t.run();

const broken = suite('regions: without country data, connections that need a lookup are refused');
broken('a connection from a public address is refused INTERNAL, not let through unchecked; loopback still connects', async () => {
  const server = await startServer({
    countries: new CountryLookup({ dataDir: join(DATA, 'missing') }),
    env: { TRUSTED_PROXY_HEADER: 'x-forwarded-for', TRUSTED_PROXIES: '127.0.0.1' },
  });
  try {
    const socket: ClientSocket = connect(server.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { v: 1 }, extraHeaders: { 'x-forwarded-for': FROM_OTHER } } as Parameters<typeof connect>[1]);
    const refused = await new Promise<{ data?: { code?: string } }>((resolve) => socket.once('connect_error', resolve));
    assert.is(refused.data?.code, 'INTERNAL');
    socket.close();
    const local = await login(server.url, 'client');
    assert.ok(local.socket.connected);
    local.socket.close();
  } finally {
    await server.server.close();
  }
});
broken.run();

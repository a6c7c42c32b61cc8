/**
 * A signaling restart in the middle of a call. With the Redis store, the process that starts re-arms the payment
 * and disconnect timers of the active sessions it finds: `session:resume` gives the session back, a voucher the
 * client could not deliver while signaling was away still counts, a call nobody pays for ends `voucher_late`
 * after the resume window, and a peer who never comes back ends it `disconnected`. With the memory store the
 * sessions are gone, and what the browsers send for them is a clean NOT_FOUND.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { call, client, connected, login, next, none, ok, sleep, startServer, type User } from './helpers.ts';
import { PRICE, privateWorld, startSession, voucher, type PrivateWorld } from './private-setup.ts';

const MINUTE_MS = 4_000;
const GRACE_MS = 1_000;
const PEER_GRACE_MS = 2_000;
const TUNING = { minuteMs: MINUTE_MS, voucherGraceMs: GRACE_MS, peerDisconnectGraceMs: PEER_GRACE_MS };

/** Stops the signaling process and starts another one on the same store and chain (same secrets). */
async function restart(w: PrivateWorld, pauseMs = 0): Promise<number> {
  const config = w.run.server.config;
  await w.run.server.close();
  if (pauseMs) await sleep(pauseMs);
  w.run = await startServer({ config, chain: w.chainInfo, tuning: TUNING });
  return Date.now();
}

/** The same identity back on the new process with its session token. */
async function resume(w: PrivateWorld, u: User) {
  const socket = client(w.run.url);
  await connected(socket);
  // The role is said explicitly: a fresh memory store no longer knows it.
  const r = await ok(socket, 'session:resume', { token: u.token, role: u === w.model ? 'model' : 'client' });
  return { user: { ...u, socket, token: r.token }, privateSessionIds: r.privateSessionIds };
}

const redis = suite('private calls survive a signaling restart (Redis store)');
let w: PrivateWorld;
redis.before(async () => { w = await privateWorld({ redis: true, tuning: TUNING }); });
redis.after(async () => { await w?.close(); });

redis('the new process re-arms the timer: a call nobody pays for still ends voucher_late', async () => {
  const { sessionId } = await startSession(w);
  const startedAt = await restart(w);
  const c = await resume(w, w.client);
  const m = await resume(w, w.model);
  w.client = c.user;
  w.model = m.user;
  assert.equal(c.privateSessionIds, [sessionId]);
  assert.equal(m.privateSessionIds, [sessionId]);
  const e = await next(w.client.socket, 'private:ended', (x) => x.sessionId === sessionId);
  assert.is(e.reason, 'voucher_late');
  const after = Date.now() - startedAt;
  // The resume window: the peers' reconnect grace plus the voucher grace, then the meter's verdict.
  assert.ok(after >= PEER_GRACE_MS + GRACE_MS - 100 && after <= PEER_GRACE_MS + GRACE_MS + 1_000, `ended ${after} ms after the restart`);
});

redis('a voucher held back by the outage counts when signaling is back; metering goes on from there', async () => {
  const { sessionId, terms } = await startSession(w);
  const base = BigInt(terms.baseline);
  await ok(w.client.socket, 'private:voucher', { sessionId, voucher: await voucher(w, base + PRICE) });
  // Down past minute 1's deadline (start + 1 minute + grace): the browsers went on paying each other meanwhile.
  const downFor = terms.startedAt + MINUTE_MS + GRACE_MS + 300 - Date.now();
  await restart(w, downFor);
  w.client = (await resume(w, w.client)).user;
  w.model = (await resume(w, w.model)).user;
  const told = next(w.model.socket, 'private:voucher', (e) => e.sessionId === sessionId);
  const r = await ok(w.client.socket, 'private:voucher', { sessionId, voucher: await voucher(w, base + 3n * PRICE) });
  assert.is(r.paidMinutes, 3);
  assert.is((await told).paidMinutes, 3);
  assert.ok(await none(w.model.socket, 'private:ended', PEER_GRACE_MS + GRACE_MS + 500), 'the call goes on past the resume window');
  // And the meter still runs: once minute 3 is over, no voucher means the end.
  const e = await next(w.model.socket, 'private:ended', (x) => x.sessionId === sessionId, 3 * MINUTE_MS);
  assert.is(e.reason, 'voucher_late');
  assert.ok(Date.now() >= r.paidUntil + GRACE_MS - 50, 'not before minute 3 and its grace are over');
});

redis('a peer who does not come back after the restart ends the call disconnected', async () => {
  const { sessionId } = await startSession(w);
  await restart(w);
  w.client = (await resume(w, w.client)).user;
  const e = await next(w.client.socket, 'private:ended', (x) => x.sessionId === sessionId);
  assert.equal([e.reason, e.by], ['disconnected', w.model.key]);
  w.model = (await resume(w, w.model)).user;
});

const memory = suite('private calls after a restart with the memory store');
let m: PrivateWorld;
memory.before(async () => { m = await privateWorld({ tuning: { ...TUNING, voucherGraceMs: 3_000 } }); });
memory.after(async () => { await m?.close(); });

memory('the sessions are gone: vouchers and signals for them are NOT_FOUND, and nothing crashes', async () => {
  const { sessionId, terms } = await startSession(m);
  const config = m.run.server.config;
  await m.run.server.close();
  // A fresh memory store forgets sessions (a token needs its session in the store, issue 14): both log in again.
  m.run = await startServer({ config, chain: m.chainInfo, tuning: TUNING });
  const stale = client(m.run.url);
  await connected(stale);
  const refused = await call(stale, 'session:resume', { token: m.client.token });
  assert.is(refused.ok ? null : refused.error.code, 'SESSION_EXPIRED');
  stale.close();
  m.client = await login(m.run.url, 'client', m.client.identity);
  m.model = await login(m.run.url, 'model', m.model.identity);
  assert.equal(await m.run.server.store.privateSessionsOf(m.model.key), []);
  const v = await call(m.client.socket, 'private:voucher', { sessionId, voucher: await voucher(m, BigInt(terms.baseline) + PRICE) });
  assert.is(v.ok ? null : v.error.code, 'NOT_FOUND');
  const s = await call(m.model.socket, 'private:signal', { sessionId, candidate: { candidate: '' } });
  assert.is(s.ok ? null : s.error.code, 'NOT_FOUND');
  const end = await call(m.client.socket, 'private:end', { sessionId });
  assert.is(end.ok ? null : end.error.code, 'NOT_FOUND');
  // The server is well and answers the next event.
  assert.ok((await ok(m.client.socket, 'directory:subscribe', {})).models.some((e) => e.key === m.model.key));
});

redis.run();
memory.run();

/**
 * Abuse limits and the HTTP side: per-process and per-address connection
 * limits, the frame size limit, the per-socket event rate limit, the sealed
 * age-document upload, and the SFU event hook.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TypedEmitter } from '../../sfu/emitter.ts';
import type { SfuEngineEvents } from '../../sfu/engine.ts';
import { createIdentity } from '../../crypto/identity.ts';
import { sealDocument } from '../../crypto/age.ts';
import { AGE_DOCUMENT_PATH, LIMITS } from '../../signaling/protocol.ts';
import { io as connect } from 'socket.io-client';
import { call, client, connected, login, next, ok, startServer, type ClientSocket, type Running } from './helpers.ts';

const connectOutcome = (s: ClientSocket) => new Promise<string>((resolve) => {
  s.once('connect', () => resolve('connected'));
  s.once('connect_error', (e) => resolve(e.message));
});

const conn = suite('connection limits');
conn('per-address and per-process limits refuse extra connections (the address is only hashed, in memory)', async () => {
  const run = await startServer({ tuning: { maxConnectionsPerAddress: 2 } });
  const a = client(run.url);
  assert.is(await connectOutcome(a), 'connected');
  const b = client(run.url);
  assert.is(await connectOutcome(b), 'connected');
  const c = client(run.url);
  assert.is(await connectOutcome(c), 'too many connections');
  a.close();
  // The slot frees once the server has seen the disconnect (retry while it has not).
  let d = client(run.url);
  for (let i = 0; i < 50 && (await connectOutcome(d)) !== 'connected'; i++) {
    d.close();
    await new Promise((r) => setTimeout(r, 100));
    d = client(run.url);
  }
  assert.ok(d.connected, 'a slot frees when a socket leaves');
  for (const s of [b, c, d]) s.close();
  await run.server.close();

  const small = await startServer({ tuning: { maxConnections: 1 } });
  const [x, y, z] = [client(small.url), client(small.url), client(small.url)];
  const outcomes = await Promise.all([x, y, z].map(connectOutcome));
  assert.is(outcomes.filter((o) => o === 'connected').length, 1, outcomes.join());
  for (const s of [x, y, z]) s.close();
  await small.server.close();
});

const rate = suite('frames and event rates');
let run: Running;
rate.before(async () => { run = await startServer({ tuning: { eventsPerSecond: 20 } }); });
rate.after(async () => { await run.server.close(); });

rate('a frame over the size limit drops that connection only', async () => {
  const u = await login(run.url, 'client');
  const dropped = new Promise<string>((resolve) => u.socket.once('disconnect', (reason) => resolve(reason)));
  (u.socket.emit as (...a: unknown[]) => void)('chat:send', { showId: 'abcdefgh', text: 'x'.repeat(LIMITS.maxFrameBytes + 10) }, () => {});
  assert.ok(await dropped);
  const v = await login(run.url, 'client');
  await ok(v.socket, 'directory:subscribe', {});
  v.socket.close();
});

rate('a burst past the per-socket event rate gets RATE_LIMITED', async () => {
  const u = await login(run.url, 'client');
  const results = await Promise.all(Array.from({ length: 40 }, () => call(u.socket, 'directory:subscribe', {})));
  const limited = results.filter((r) => !r.ok && r.error.code === 'RATE_LIMITED').length;
  assert.ok(limited >= 10, `limited ${limited}`);
  await new Promise((r) => setTimeout(r, 1100));
  await ok(u.socket, 'directory:subscribe', {});
  u.socket.close();
});

rate('login attempts are limited per socket', async () => {
  const r = await startServer({ tuning: { loginsPerMinute: 3 } });
  const s = client(r.url);
  await connected(s);
  const codes = [];
  for (let i = 0; i < 5; i++) {
    const res = await call(s, 'session:challenge', {});
    codes.push(res.ok ? 'ok' : res.error.code);
  }
  assert.equal(codes, ['ok', 'ok', 'ok', 'RATE_LIMITED', 'RATE_LIMITED']);
  s.close();
  await r.server.close();
});

conn('a refused connection says why with a protocol code', async () => {
  const run = await startServer({ tuning: { maxConnectionsPerAddress: 1 } });
  const a = client(run.url);
  assert.is(await connectOutcome(a), 'connected');
  const dataOf = (s: ClientSocket) => new Promise<unknown>((resolve) => s.once('connect_error', (e) => resolve((e as Error & { data?: unknown }).data)));
  const extra = client(run.url);
  assert.equal(await dataOf(extra), { code: 'RATE_LIMITED', message: 'too many connections' });
  const old = connect(run.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { v: 99 } });
  assert.equal(await dataOf(old), { code: 'BAD_REQUEST', message: 'unsupported protocol version' });
  for (const s of [a, extra, old]) s.close();
  await run.server.close();
});

const http = suite('sealed age document over HTTP');
http('upload needs a session token, a configured verifier, and a size under the limit', async () => {
  const verifier = await createIdentity();
  const r = await startServer({ env: { VERIFIER_PUBLIC_KEYS: verifier.publicKey, AGE_VERIFICATION: 'required' } });
  const model = await login(r.url, 'model');
  const sealed = await sealDocument(verifier.publicKey, new Uint8Array(200_000).fill(7), model.identity);
  const post = (headers: Record<string, string>, body: Uint8Array, verifierKey = verifier.publicKey) =>
    fetch(`${r.url}${AGE_DOCUMENT_PATH}?verifierKey=${verifierKey}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...headers }, body: body as unknown as BodyInit });
  assert.is((await post({}, sealed)).status, 401);
  assert.is((await post({ authorization: 'Bearer nope' }, sealed)).status, 401);
  const other = await createIdentity();
  assert.is((await post({ authorization: `Bearer ${model.token}` }, sealed, other.publicKey)).status, 400);
  assert.is((await post({ authorization: `Bearer ${model.token}` }, new Uint8Array(LIMITS.ageDocumentMaxBytes + 1))).status, 413);
  const res = await post({ authorization: `Bearer ${model.token}` }, sealed);
  assert.is(res.status, 200);
  assert.equal(await res.json(), { ok: true, status: 'pending' });
  assert.is((await ok(model.socket, 'age:status', {})).status, 'pending');
  const refused = await call(model.socket, 'show:open', {});
  assert.is(refused.ok ? null : refused.error.code, 'AGE_VERIFICATION_REQUIRED');
  const stale = await fetch(`${r.url}/verifier/pending`, { headers: { authorization: `LiveCam-Verifier ${verifier.publicKey}.1.${'A'.repeat(86)}` } });
  assert.is(stale.status, 401);
  model.socket.close();
  await r.server.close();
});

const sfu = suite('SFU events');
sfu('a publisher that deletes its WHIP session ends the show for its viewers; a media drop does not', async () => {
  const events = new TypedEmitter<SfuEngineEvents>();
  const closed: string[] = [];
  const r = await startServer({ sfu: { events, closeShow: async (id) => { closed.push(id); } } });
  const model = await login(r.url, 'model');
  const viewer = await login(r.url, 'client');
  const { showId } = await ok(model.socket, 'show:open', {});
  const live = next(model.socket, 'directory:update', (e) => e.status === 'public');
  events.emit('showstarted', showId);
  await live;
  await ok(viewer.socket, 'show:watch', { model: model.key });
  events.emit('showended', showId, 'disconnected');
  const stillOn = await call(viewer.socket, 'chat:send', { showId, text: 'still on' });
  assert.ok(stillOn.ok, 'a media drop leaves the show open');
  const ended = next(viewer.socket, 'show:ended');
  events.emit('showended', showId, 'deleted');
  assert.equal(await ended, { showId, reason: 'ended' });
  assert.equal(closed, [showId], 'signaling asked the SFU to close the show');
  model.socket.close();
  viewer.socket.close();
  await r.server.close();
});

conn.run();
rate.run();
http.run();
sfu.run();

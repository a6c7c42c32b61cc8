/**
 * Every client event, malformed in many ways (fast-check): each gets an error
 * ack with a protocol error code, the process stays up, and the state stays
 * consistent (no show opened, no price changed, nobody banned, directory intact).
 * Then well-formed payloads with wrong values: an ok or a protocol error, never
 * INTERNAL. The events are protocol.ts CLIENT_EVENTS: one added there without a
 * payload here fails the typecheck and the first test.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { CLIENT_EVENTS, ERROR_CODES, schemas, type ClientEvent } from '../../signaling/protocol.ts';
import { KEY_PREFIXES } from '../../signaling/store.ts';
import { client, connected, login, mediaArrives, ok, startRedis, startServer, type ClientSocket, type RedisHandle, type Running, type User } from './helpers.ts';

const KEY = 'A'.repeat(43);
const ID = 'abcdefgh1234';
const HEX32 = '0x' + 'ab'.repeat(32);
const SIG65 = '0x' + '11'.repeat(65);
const VOUCHER = { channelId: HEX32, cumulativeAmount: '100', signature: SIG65 };

/** A valid payload per event, to mutate. */
const VALID: Record<ClientEvent, Record<string, unknown>> = {
  'session:challenge': {}, 'session:logout': {},
  'session:login': { publicKey: KEY, challenge: '{}', signature: 'B'.repeat(86), role: 'client' },
  'session:resume': { token: 'tok', role: 'model' },
  'wallet:bind': { address: '0x' + '12'.repeat(20), walletSignature: SIG65, identitySignature: 'C'.repeat(86) },
  'directory:subscribe': {}, 'directory:unsubscribe': {},
  'model:setPrice': { pricePerMinute: '1000', minMinutes: 2 },
  'show:open': {}, 'show:close': {}, 'show:watch': { model: KEY }, 'show:leave': { showId: ID },
  'chat:send': { showId: ID, text: 'hi' }, 'chat:tip': { showId: ID, voucher: VOUCHER },
  'chat:mute': { showId: ID, target: KEY, seconds: 10 }, 'chat:ban': { target: KEY }, 'chat:unban': { target: KEY },
  'chat:slowMode': { showId: ID, seconds: 5 },
  'vouchers:list': {}, 'vouchers:store': { model: KEY, voucher: VOUCHER },
  'private:request': { model: KEY, pricePerMinute: '10', minMinutes: 1, channelId: HEX32 },
  'private:accept': { sessionId: ID }, 'private:decline': { sessionId: ID },
  'private:signal': { sessionId: ID, description: { type: 'offer', sdp: 'v=0' }, fingerprint: { fingerprint: 'sha-256 AB', signature: 'D'.repeat(86) } },
  'private:voucher': { sessionId: ID, voucher: VOUCHER }, 'private:end': { sessionId: ID },
  'regions:set': { countries: ['DE', 'FR'] }, 'regions:get': {},
  'profile:set': { fields: { displayName: 'x' } }, 'profile:get': {}, 'account:delete': {},
  'age:submit': { sealedDocument: 'AAAA', verifierKey: KEY }, 'age:status': {},
  'tips:setMenu': { items: [{ label: 'Dance', amount: '5' }] }, 'tips:setGoal': { goal: { title: 'Goal', target: '100' } }, 'tips:get': { model: KEY },
};

const MODEL_EVENTS = new Set<ClientEvent>(['model:setPrice', 'show:open', 'show:close', 'chat:mute', 'chat:ban', 'chat:unban', 'chat:slowMode', 'private:accept', 'private:decline', 'age:submit', 'age:status', 'vouchers:list', 'regions:set', 'regions:get', 'tips:setMenu', 'tips:setGoal']);

const weird = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.string({ maxLength: 20 }),
  fc.string({ minLength: 600, maxLength: 3000 }),
  fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
  fc.constant(-1), fc.constant(1e308), fc.constant(''), fc.constant('<script>alert(1)</script>'),
  fc.array(fc.anything(), { maxLength: 5 }),
  fc.constant({ __proto__: { polluted: true } }), fc.constant({ constructor: { prototype: { x: 1 } } }),
);

/** Malformed variants of a valid payload: a key removed, retyped, or added; or something else entirely. */
function malformed(event: ClientEvent): fc.Arbitrary<unknown> {
  const valid = VALID[event];
  const keys = Object.keys(valid);
  const variants: fc.Arbitrary<unknown>[] = [
    weird,
    fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), weird).map(([k, v]) => ({ ...valid, [k === '__proto__' ? 'x__proto__' : k]: v })),
  ];
  if (keys.length) {
    variants.push(
      fc.tuple(fc.constantFrom(...keys), weird).map(([k, v]) => ({ ...valid, [k]: v })),
      fc.constantFrom(...keys).map((k) => { const c: Record<string, unknown> = { ...valid }; delete c[k]; return c; }),
    );
  }
  // Judge what the server will receive: JSON drops undefined members, turns NaN into null, and so on.
  return fc.oneof(...variants).filter((p) => !schemas[event].safeParse(onTheWire(p)).success);
}

/** Payloads shaped like `v` (same keys, strings of the same alphabet and length, small numbers), or `v` itself. */
function sameShape(v: unknown): fc.Arbitrary<unknown> {
  let gen: fc.Arbitrary<unknown>;
  if (typeof v === 'string') {
    if (/^0x[0-9a-f]+$/i.test(v)) gen = fc.stringMatching(new RegExp(`^0x[0-9a-f]{${v.length - 2}}$`));
    else if (/^\d+$/.test(v)) gen = fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String);
    else if (/^[A-Za-z0-9_-]+$/.test(v)) gen = fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{${v.length}}$`));
    else gen = fc.string({ minLength: 1, maxLength: 40 });
  } else if (typeof v === 'number') {
    gen = fc.integer({ min: 0, max: 120 });
  } else if (v && typeof v === 'object') {
    gen = fc.record(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sameShape(x)])));
  } else {
    return fc.constant(v);
  }
  return fc.oneof(fc.constant(v), gen, gen);
}

function onTheWire(p: unknown): unknown {
  return (JSON.parse(JSON.stringify([p])) as unknown[])[0];
}

function emitRaw(s: ClientSocket, event: string, args: unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for ${event}`)), 10_000);
    (s.emit as (...a: unknown[]) => void)(event, ...args, (res: unknown) => { clearTimeout(timer); resolve(res); });
  });
}

function isErrorAck(res: unknown): res is { ok: false; error: { code: string; message: string } } {
  const r = res as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  return r?.ok === false && typeof r.error?.message === 'string' && (ERROR_CODES as readonly string[]).includes(String(r.error?.code));
}

function fuzz(name: string, withRedis: boolean) {
  const t = suite(`fuzz: malformed events (${name})`);
  let run: Running;
  let model: User;
  let viewer: User;
  let anon: ClientSocket;
  let redis: RedisHandle | null = null;

  t.before(async () => {
    if (withRedis) redis = await startRedis();
    run = await startServer({ tuning: { eventsPerSecond: 100_000, loginsPerMinute: 100_000 }, env: redis ? { REDIS_URL: redis.url } : {} });
    model = await login(run.url, 'model');
    viewer = await login(run.url, 'client');
    await ok(model.socket, 'model:setPrice', { pricePerMinute: '77', minMinutes: 4 });
    anon = client(run.url);
    await connected(anon);
  });
  t.after(async () => {
    for (const s of [model?.socket, viewer?.socket, anon]) s?.close();
    await run?.server.close();
    await redis?.stop();
  });

  t('every event with a malformed payload gets BAD_REQUEST and changes nothing', async () => {
    for (const event of CLIENT_EVENTS) {
      const socket = MODEL_EVENTS.has(event) ? model.socket : viewer.socket;
      await fc.assert(fc.asyncProperty(malformed(event), async (payload) => {
        const res = await emitRaw(socket, event, [payload]);
        assert.ok(isErrorAck(res), `${event}: ${JSON.stringify(res)}`);
        assert.is((res as { error: { code: string } }).error.code, 'BAD_REQUEST', `${event} ${JSON.stringify(payload)?.slice(0, 100)}`);
      }), { numRuns: 80 });
    }
  });

  t('the fuzz covers exactly the protocol\'s events, each from a payload its schema accepts, each with a handler', async () => {
    assert.equal(Object.keys(VALID).sort(), [...CLIENT_EVENTS].sort());
    for (const event of CLIENT_EVENTS) {
      assert.ok(schemas[event].safeParse(VALID[event]).success, `${event}: the payload the fuzz mutates is valid`);
      const res = await emitRaw(anon, event, [VALID[event]]) as { ok: boolean; error?: { message: string } };
      assert.is.not(res.error?.message, 'unknown event', `${event} has a handler`);
    }
  });

  t('wrong call shapes: no payload, extra arguments, unknown events, unauthenticated', async () => {
    for (const event of CLIENT_EVENTS) {
      const socket = MODEL_EVENTS.has(event) ? model.socket : viewer.socket;
      const none = await emitRaw(socket, event, []);
      assert.ok(isErrorAck(none), `${event} without payload`);
      const extra = await emitRaw(socket, event, [VALID[event], 'extra']);
      assert.ok(isErrorAck(extra), `${event} with an extra argument`);
      const nonAuth = ['session:challenge', 'session:login', 'session:resume', 'directory:subscribe', 'directory:unsubscribe', 'tips:get'];
      if (!nonAuth.includes(event)) {
        const res = await emitRaw(anon, event, [VALID[event]]);
        assert.ok(isErrorAck(res) && res.error.code === 'UNAUTHENTICATED', `${event} unauthenticated: ${JSON.stringify(res)}`);
      }
    }
    await fc.assert(fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }).filter((e) => !(CLIENT_EVENTS as string[]).includes(e) && !['connect', 'disconnect', 'connect_error', 'disconnecting', 'newListener', 'removeListener'].includes(e)), fc.anything(), async (event, payload) => {
      const res = await emitRaw(viewer.socket, event, [payload]);
      assert.ok(isErrorAck(res), `unknown event ${event}`);
    }), { numRuns: 50 });
  });

  t('the process is up and the state consistent afterwards', async () => {
    assert.ok(model.socket.connected && viewer.socket.connected && anon.connected, 'no socket was dropped');
    const { models } = await ok(viewer.socket, 'directory:subscribe', {});
    const entry = models.find((m) => m.key === model.key);
    assert.equal(entry && { status: entry.status, price: entry.pricePerMinute, min: entry.minMinutes, show: entry.showId },
      { status: 'online', price: '77', min: 4, show: null });
    assert.not.ok(await run.server.store.isBanned(model.key, viewer.key));
    const keys = await run.server.store.keys('');
    const prefixes = Object.keys(KEY_PREFIXES);
    for (const k of keys) assert.ok(prefixes.some((p) => k.startsWith(p)), `unexpected key ${k}`);
    assert.not.ok(keys.some((k) => k.startsWith('lc:show:') || k.startsWith('lc:priv:') || k.startsWith('lc:rec:')), 'no show, session or record was created');
    // Still fully working.
    const { showId } = await ok(model.socket, 'show:open', {});
    await mediaArrives(run, model, showId);
    await ok(viewer.socket, 'show:watch', { model: model.key });
    await ok(viewer.socket, 'chat:send', { showId, text: 'still alive' });
    await ok(model.socket, 'show:close', {});
  });

  t('well-formed payloads with wrong values get an ok or a protocol error, never INTERNAL', async () => {
    const [m, v] = [await login(run.url, 'model'), await login(run.url, 'client')];
    // Logout and deletion take no fields (nothing to vary) and end the socket: the malformed pass covers them.
    for (const event of CLIENT_EVENTS.filter((e) => e !== 'session:logout' && e !== 'account:delete')) {
      const socket = MODEL_EVENTS.has(event) ? m.socket : v.socket;
      await fc.assert(fc.asyncProperty(sameShape(VALID[event]).filter((p) => schemas[event].safeParse(onTheWire(p)).success), async (payload) => {
        const res = await emitRaw(socket, event, [payload]) as { ok: boolean; error?: { code: string } };
        if (res.ok) return;
        assert.ok(isErrorAck(res), `${event}: ${JSON.stringify(res)}`);
        assert.is.not(res.error!.code, 'INTERNAL', `${event} ${JSON.stringify(payload)?.slice(0, 200)}`);
      }), { numRuns: 25, includeErrorInReport: true });
    }
    assert.ok(m.socket.connected && v.socket.connected, 'no socket was dropped');
    m.socket.close();
    v.socket.close();
  });
  return t;
}

fuzz('memory', false).run();
fuzz('redis', true).run();

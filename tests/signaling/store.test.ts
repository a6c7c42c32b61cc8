/**
 * One suite, two backends: the Kv vocabulary and the Store on top of it must
 * behave the same in memory and on a real Redis.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryKv } from '../../signaling/kv-memory.ts';
import { RedisKv, connectRedis } from '../../signaling/kv-redis.ts';
import { Store, KEY_PREFIXES } from '../../signaling/store.ts';
import type { Kv } from '../../signaling/kv.ts';
import { sleep, startRedis, type RedisHandle } from './helpers.ts';

function shared(name: string, make: () => Promise<Kv>, teardown: () => Promise<void> = async () => {}) {
  const t = suite(`store (${name})`);
  let kv: Kv;
  let store: Store;
  let n = 0;
  const k = (p: string) => `${p}${name}-${++n}`;
  t.before(async () => { kv = await make(); store = new Store(kv); });
  t.after(async () => { await kv.close(); await teardown(); });

  t('strings: set, nx, ttl, incr, del', async () => {
    const a = k('lc:chal:');
    assert.is(await kv.get(a), null);
    assert.ok(await kv.set(a, 'x', { ttlMs: 5000, nx: true }));
    assert.not.ok(await kv.set(a, 'y', { nx: true }), 'nx refuses an existing key');
    assert.is(await kv.get(a), 'x');
    const ttl = await kv.pttl(a);
    assert.ok(ttl > 0 && ttl <= 5000);
    assert.is(await kv.pttl(k('lc:none:')), -2);
    const b = k('lc:x:');
    await kv.set(b, 'v');
    assert.is(await kv.pttl(b), -1);
    assert.is(await kv.incrBy(k('lc:rl:'), 3, 1000), 3);
    assert.is(await kv.del(a, b, k('lc:nothing:')), 2);
    assert.is(await kv.get(a), null);
  });

  t('keys expire', async () => {
    const a = k('lc:mute:');
    await kv.set(a, '1', { ttlMs: 60 });
    await sleep(150);
    assert.is(await kv.get(a), null);
    assert.is(await kv.pttl(a), -2);
  });

  t('a write that needs a TTL carries it in the same step', async () => {
    const h = k('lc:show:');
    assert.ok(await kv.hset(h, { model: 'm' }, { ttlMs: 5000 }));
    const ht = await kv.pttl(h);
    assert.ok(ht > 0 && ht <= 5000, `hash ttl ${ht}`);
    const s = k('lc:viewers:');
    assert.ok(await kv.sadd(s, 'v1', 5000));
    assert.not.ok(await kv.sadd(s, 'v1', 8000), 'a member already there is not added again');
    const st = await kv.pttl(s);
    assert.ok(st > 5000 && st <= 8000, `set ttl renewed: ${st}`);
    const gone = k('lc:show:');
    assert.not.ok(await kv.hset(gone, { slow: '5' }, { xx: true }), 'xx does not create a key');
    assert.is(await kv.pttl(gone), -2);
    assert.ok(await kv.hset(h, { slow: '5' }, { xx: true }));
    assert.equal(await kv.hgetall(h), { model: 'm', slow: '5' });
    assert.ok((await kv.pttl(h)) > 0, 'an update keeps the TTL');
  });

  t('store: a closed show stays closed when its slow mode is set late', async () => {
    await store.openShow({ showId: `late-${name}`, model: 'm', openedAt: 1, slowModeSeconds: 0 }, 5000);
    await store.closeShow(`late-${name}`);
    await store.setSlowMode(`late-${name}`, 10);
    assert.is(await store.getShow(`late-${name}`), null);
    assert.equal(await store.keys(`lc:show:late-${name}`), []);
  });

  t('hashes and sets', async () => {
    const h = k('lc:presence:');
    await kv.hset(h, { a: '1', b: '2' });
    assert.equal(await kv.hgetall(h), { a: '1', b: '2' });
    assert.is(await kv.hget(h, 'b'), '2');
    assert.ok(await kv.hdel(h, 'a'));
    assert.equal(await kv.hgetall(h), { b: '2' });
    assert.equal(await kv.hgetall(k('lc:missing:')), {});
    const s = k('lc:viewers:');
    assert.ok(await kv.sadd(s, 'p'));
    assert.not.ok(await kv.sadd(s, 'p'));
    await kv.sadd(s, 'q');
    assert.is(await kv.scard(s), 2);
    assert.ok(await kv.sismember(s, 'q'));
    assert.ok(await kv.srem(s, 'q'));
    assert.equal(await kv.smembers(s), ['p']);
  });

  t('setIfGreater is monotonic with big decimal amounts; compareAndSet', async () => {
    const c = k('lc:chan:');
    assert.equal(await kv.setIfGreater(c, '100'), { previous: null, replaced: true });
    assert.equal(await kv.setIfGreater(c, '99'), { previous: '100', replaced: false });
    assert.equal(await kv.setIfGreater(c, '100'), { previous: '100', replaced: false });
    const big = '1' + '0'.repeat(30);
    assert.equal(await kv.setIfGreater(c, big), { previous: '100', replaced: true });
    assert.equal(await kv.setIfGreater(c, '9'.repeat(30)), { previous: big, replaced: false });
    const d = k('lc:dk:');
    await kv.set(d, 'a');
    assert.not.ok(await kv.compareAndSet(d, 'b', 'c'));
    assert.ok(await kv.compareAndSet(d, 'a', 'c'));
    assert.is(await kv.get(d), 'c');
  });

  t('concurrent claims: exactly one winner', async () => {
    const c = k('lc:priv:');
    const wins = await Promise.all(Array.from({ length: 20 }, () => kv.set(c, '1', { nx: true, ttlMs: 1000 })));
    assert.is(wins.filter(Boolean).length, 1);
    const amounts = Array.from({ length: 20 }, (_, i) => String(1000 + i));
    const results = await Promise.all(amounts.map((a) => kv.setIfGreater(k('lc:chan:') + 'x', a)));
    assert.ok(results.every((r) => r.replaced), 'distinct keys all replaced');
    const same = k('lc:chan:');
    await Promise.all(amounts.map((a) => kv.setIfGreater(same, a)));
    assert.is(await kv.get(same), '1019');
  });

  t('keys(prefix) scans', async () => {
    const p = k('lc:rec:') + ':';
    await kv.set(`${p}profile`, 'c1');
    await kv.set(`${p}other`, 'c2');
    assert.equal((await kv.keys(p)).sort(), [`${p}other`, `${p}profile`]);
  });

  t('store: presence, directory, shows, viewers, bans, mutes, slow mode', async () => {
    const model = `m-${name}`;
    await store.setSettings(model, { pricePerMinute: '5', minMinutes: 2 });
    await store.setPresence(model, { status: 'public', showId: 'show-aaaa', pseudonym: 'calm-owl-0001' }, 5000);
    await store.openShow({ showId: 'show-aaaa', model, openedAt: 1, slowModeSeconds: 0 }, 5000);
    assert.is(await store.viewerCount('show-aaaa'), 0, 'no count before the SFU reports one');
    await store.setViewerCount('show-aaaa', 2, 5000);
    const list = await store.listOnline();
    const e = list.find((x) => x.key === model)!;
    assert.equal(e, { key: model, pseudonym: 'calm-owl-0001', status: 'public', pricePerMinute: '5', minMinutes: 2, showId: 'show-aaaa', viewers: 2 });
    await store.setViewerCount('show-aaaa', 1, 5000);
    assert.is(await store.viewerCount('show-aaaa'), 1);
    await store.ban(model, 'v2');
    assert.ok(await store.isBanned(model, 'v2'));
    await store.unban(model, 'v2');
    assert.not.ok(await store.isBanned(model, 'v2'));
    await store.mute('show-aaaa', 'v3', 5000);
    assert.ok((await store.mutedFor('show-aaaa', 'v3')) > 0);
    assert.is(await store.mutedFor('show-aaaa', 'v4'), 0);
    assert.ok(await store.claimSlowModeSlot('show-aaaa', 'v3', 5));
    assert.not.ok(await store.claimSlowModeSlot('show-aaaa', 'v3', 5));
    assert.ok(await store.closeShow('show-aaaa'));
    assert.is(await store.getShow('show-aaaa'), null);
    await store.clearPresence(model);
    assert.not.ok((await store.listOnline()).some((x) => x.key === model));
  });

  t('store: expired presence drops out of the directory', async () => {
    const model = `gone-${name}`;
    await store.setPresence(model, { status: 'online', showId: null, pseudonym: 'x' }, 50);
    await sleep(120);
    assert.not.ok((await store.listOnline()).some((x) => x.key === model));
    assert.not.ok((await kv.smembers('lc:online')).includes(model), 'pruned from the set');
  });

  t('store: challenges are single use; private transitions claimed once', async () => {
    await store.issueChallenge(`n-${name}`, 5000);
    assert.ok(await store.consumeChallenge(`n-${name}`));
    assert.not.ok(await store.consumeChallenge(`n-${name}`));
    assert.not.ok(await store.consumeChallenge(`never-${name}`));
    const s = { id: `p-${name}`, client: 'c', clientPseudonym: 'c', model: 'm', modelPseudonym: 'm', pricePerMinute: '1', minMinutes: 1, channelId: '0x00', state: 'requested' as const, createdAt: 0, startedAt: 0, baseline: '0', paidMinutes: 0 };
    await store.putPrivate(s, 5000);
    assert.equal(await store.getPrivate(s.id), s);
    assert.equal(await store.privateSessionsOf('c'), [s.id]);
    const claims = await Promise.all([1, 2, 3].map(() => store.claimPrivateTransition(s.id, 'answer', 5000)));
    assert.is(claims.filter(Boolean).length, 1);
    await store.deletePrivate(s);
    assert.is(await store.getPrivate(s.id), null);
    assert.equal(await store.privateSessionsOf('c'), []);
  });

  t('store: every key it wrote has a known prefix', async () => {
    const prefixes = Object.keys(KEY_PREFIXES);
    for (const key of await kv.keys('')) {
      assert.ok(prefixes.some((p) => key.startsWith(p)), `unknown prefix: ${key}`);
    }
  });

  return t;
}

let redis: RedisHandle;
shared('memory', async () => new MemoryKv()).run();
shared('redis', async () => {
  redis = await startRedis();
  return new RedisKv(await connectRedis(redis.url, () => {}));
}, async () => { await redis.stop(); }).run();

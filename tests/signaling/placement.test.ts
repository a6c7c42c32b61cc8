/**
 * SFU hosts register their load in a real Redis (sfu/registry.ts) and signaling places on them
 * (signaling/sfu-hosts.ts, signaling/shows.ts): a new show on the least-loaded host that is not draining, a
 * dead host gone once its heartbeat's TTL runs out, viewers on the show's host under its budget and on an edge
 * (with an origin claim) beyond it, WHIP/WHEP URLs absolute from the host's public URL.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createClient } from 'redis';
import { SfuRegistry } from '../../sfu/registry.ts';
import type { SfuEngine, ShowStats } from '../../sfu/engine.ts';
import { verifySfuToken } from '../../sfu/tokens.ts';
import { deriveSecret } from '../../crypto/login.ts';
import { RedisSfuHosts, placeShow, placeViewer } from '../../signaling/sfu-hosts.ts';
import { login, ok, startRedis, startServer, until, type RedisHandle, type Running } from './helpers.ts';

type Redis = ReturnType<typeof createClient>;

/**
 * The load an engine reports (its `showStats`), set by the test: the registry reads nothing else of it. Real
 * engines are exercised with media in tests/cluster/cluster.test.ts.
 */
function loadOf(shows: Record<string, number>): SfuEngine {
  return {
    closed: false,
    showStats: async () => Object.entries(shows).map(([showId, viewers]) => ({ showId, viewers }) as ShowStats),
  } as unknown as SfuEngine;
}

let redis: RedisHandle;
let client: Redis;
const registries: SfuRegistry[] = [];

async function host(id: string, shows: Record<string, number>, capacity = 10, options: { heartbeatMs?: number; ttlMs?: number } = {}): Promise<SfuRegistry> {
  const r = new SfuRegistry({ redis: client, engine: loadOf(shows), id, url: `http://${id}.sfu.test:8080/`, capacity, ...options });
  registries.push(r);
  return r;
}

async function cleanUp(): Promise<void> {
  for (const r of registries.splice(0)) await r.close();
  await client.flushAll();
}

const placement = suite('placement over hosts registered in Redis');
placement.before(async () => {
  redis = await startRedis();
  client = createClient({ url: redis.url });
  await client.connect();
});
placement.after.each(cleanUp);

placement('a new show goes to the least-loaded host; a draining host gets none', async () => {
  const hosts = new RedisSfuHosts(client);
  await (await host('a', { s1: 6 })).start();
  await (await host('b', { s2: 2 })).start();
  const c = await host('c', {});
  await c.start();
  await c.drain();
  const list = await hosts.list();
  assert.equal(list.map((h) => [h.id, h.viewers, h.draining]), [['a', 6, false], ['b', 2, false], ['c', 0, true]]);
  assert.is(list[0]!.url, 'http://a.sfu.test:8080', 'the public URL without its trailing slash');
  assert.is(placeShow(list)?.id, 'b', 'c is emptier, but draining');
  assert.is(placeShow(list.filter((h) => h.id !== 'b'))?.id, 'a');
  assert.is(placeShow(list.filter((h) => h.id === 'c')), null, 'only draining hosts: nowhere');
});

placement('load is viewers per capacity: a bigger host with more viewers can be the emptier one', async () => {
  await (await host('small', { s: 3 }, 4)).start();
  await (await host('big', { s: 10 }, 100)).start();
  assert.is(placeShow(await new RedisSfuHosts(client).list())?.id, 'big');
});

placement('a host whose heartbeat stops vanishes once its TTL runs out', async () => {
  const hosts = new RedisSfuHosts(client);
  await (await host('alive', { s: 5 }, 10, { heartbeatMs: 100 })).start();
  const dead = await host('dead', {}, 10, { heartbeatMs: 100, ttlMs: 400 });
  await dead.beat(); // one heartbeat, then nothing: the process died
  assert.equal((await hosts.list()).map((h) => h.id), ['alive', 'dead']);
  assert.is(placeShow(await hosts.list())?.id, 'dead', 'while it looked alive, it was the emptier one');
  await until(async () => (await hosts.list()).length === 1, 5000, 'the dead host expires');
  assert.is(placeShow(await hosts.list())?.id, 'alive');
  assert.equal(await client.sMembers('lc:sfuhosts'), ['alive'], 'its id is pruned from the set');
  assert.is(await hosts.get('dead'), null);
});

placement('a viewer goes to the show\'s host under its budget, beyond it to the least-loaded other host that has room', async () => {
  const hosts = new RedisSfuHosts(client);
  await (await host('origin', { s: 2 }, 3)).start();
  await (await host('edge1', { x: 2 }, 3)).start();
  await (await host('edge2', { y: 1 }, 3)).start();
  const where = (p: ReturnType<typeof placeViewer>) => (p ? [p.host.id, p.edge] : null);
  let list = await hosts.list();
  assert.equal(where(placeViewer(await hosts.get('origin'), list)), ['origin', false]);
  await registries[0]!.close();
  await (await host('origin', { s: 3 }, 3)).start();
  list = await hosts.list();
  assert.equal(where(placeViewer(await hosts.get('origin'), list)), ['edge2', true]);
  await registries[2]!.drain();
  list = await hosts.list();
  assert.equal(where(placeViewer(await hosts.get('origin'), list)), ['edge1', true], 'a draining edge takes nobody');
  await registries[1]!.close();
  list = await hosts.list();
  assert.equal(where(placeViewer(await hosts.get('origin'), list)), ['origin', false], 'no edge with room: the origin anyway (its own admission answers)');
  assert.is(placeViewer(null, list), null, 'the show\'s host is gone');
});

const urls = suite('show:open and show:watch over registered hosts');
let run: Running;
urls.before(async () => {
  run = await startServer({ env: { REDIS_URL: redis.url }, sfuHosts: new RedisSfuHosts(client) });
});
urls.after(async () => {
  await cleanUp();
  await run.server.close();
  await client.close();
  await redis.stop();
});

urls('WHIP/WHEP URLs are absolute from the host\'s public URL; beyond the budget the viewer gets an edge and an origin claim', async () => {
  const model = await login(run.url, 'model');
  const refused = await new Promise<{ ok: boolean; error?: { code: string } }>((resolve) => model.socket.emit('show:open', {}, resolve));
  assert.equal([refused.ok, refused.error?.code], [false, 'SFU_UNAVAILABLE'], 'no host registered: no show');

  const shows: Record<string, number> = {};
  await (await host('sfu-1', shows, 2)).start();
  await (await host('sfu-2', {}, 2)).start();
  await (await host('sfu-3', { other: 1 }, 2)).start();
  const opened = await ok(model.socket, 'show:open', {});
  assert.is(opened.whipUrl, `http://sfu-1.sfu.test:8080/whip/${opened.showId}`, 'sfu-1 and sfu-2 are both empty: by id');
  assert.is((await run.server.store.getShow(opened.showId))?.host, 'sfu-1');
  run.sfu!.start(opened.showId);

  const viewer = await login(run.url, 'client');
  const sfuKey = await deriveSecret(run.server.config.SESSION_SECRET, 'sfu-token');
  await until(async () => (await run.server.store.getPresence(model.key))?.status === 'public', 5000, 'the show is public');
  const first = await ok(viewer.socket, 'show:watch', { model: model.key });
  assert.is(first.whepUrl, `http://sfu-1.sfu.test:8080/whep/${opened.showId}`);
  assert.is(verifySfuToken(sfuKey, first.whepToken, 'whep', opened.showId).origin, undefined, 'on the origin: no origin claim');

  shows[opened.showId] = 2; // sfu-1 is at its budget of 2 viewers
  await registries[0]!.beat();
  const spilled = await ok(viewer.socket, 'show:watch', { model: model.key });
  assert.is(spilled.whepUrl, `http://sfu-2.sfu.test:8080/whep/${opened.showId}`, 'the least-loaded other host');
  assert.is(verifySfuToken(sfuKey, spilled.whepToken, 'whep', opened.showId).origin, 'http://sfu-1.sfu.test:8080');

  // The show's host dies: publishing again places the show on a live host and the record follows.
  await registries[0]!.close();
  const again = await ok(model.socket, 'show:open', {});
  assert.is(again.showId, opened.showId);
  assert.is(again.whipUrl, `http://sfu-2.sfu.test:8080/whip/${opened.showId}`);
  assert.is((await run.server.store.getShow(opened.showId))?.host, 'sfu-2');
});

placement.run();
urls.run();

/**
 * Signaling follows SFU hosts that run elsewhere over a real Redis (sfu/host-events.ts -> signaling/remote-sfu.ts):
 * each host's events reach exactly one signaling process, in order; when it stops, another takes the host over
 * and goes on from the next event; an edge host's own lifecycle for a show it does not hold is not the show's;
 * viewer counts add up over hosts; `closeShow` reaches every host holding the show.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import pino from 'pino';
import { TypedEmitter } from '../../sfu/emitter.ts';
import type { SfuEngine, SfuEngineEvents, ShowStats } from '../../sfu/engine.ts';
import { SfuHostEvents } from '../../sfu/host-events.ts';
import { SfuRegistry } from '../../sfu/registry.ts';
import { connectRedis, RedisKv, type RedisClient } from '../../signaling/kv-redis.ts';
import { RemoteSfu } from '../../signaling/remote-sfu.ts';
import { RedisSfuHosts } from '../../signaling/sfu-hosts.ts';
import { Store } from '../../signaling/store.ts';
import { startRedis, until, type RedisHandle } from './helpers.ts';

/**
 * What a host's engine shows of itself to these parts (its events, its shows and their viewers, closeShow);
 * the media behind it is exercised in tests/cluster/cluster.test.ts.
 */
class HostEngine {
  readonly events = new TypedEmitter<SfuEngineEvents>();
  readonly closed = false;
  readonly viewers: Record<string, number> = {};
  readonly closedShows: string[] = [];
  hasShow(showId: string): boolean { return showId in this.viewers; }
  async closeShow(showId: string): Promise<void> { this.closedShows.push(showId); }
  async showStats(): Promise<ShowStats[]> { return Object.entries(this.viewers).map(([showId, viewers]) => ({ showId, viewers }) as ShowStats); }
}

type Seen = [string, ...unknown[]];
const FOLLOWED = ['showstarted', 'showstalled', 'showresumed', 'showended', 'viewercount'] as const;

const t = suite('signaling following SFU hosts over Redis');
let redis: RedisHandle;
const clients: RedisClient[] = [];
const closers: (() => Promise<void>)[] = [];
let store: Store;

const connect = async () => { const c = await connectRedis(redis.url, () => undefined); clients.push(c); return c; };

async function startHost(id: string): Promise<HostEngine> {
  const engine = new HostEngine();
  const registry = new SfuRegistry({ redis: await connect(), engine: engine as unknown as SfuEngine, id, url: `http://${id}.test`, capacity: 10, heartbeatMs: 100 });
  const events = new SfuHostEvents({ redis: await connect(), subscriber: await connect(), engine: engine as unknown as SfuEngine, id });
  await events.start();
  await registry.start();
  closers.push(() => events.close(), () => registry.close());
  return engine;
}

async function follower(owner: string): Promise<{ link: RemoteSfu; seen: Seen[] }> {
  const redisClient = await connect();
  const link = new RemoteSfu({ redis: redisClient, reader: await connect(), hosts: new RedisSfuHosts(redisClient), owner, logger: pino({ level: 'silent' }), pollMs: 100, leaseMs: 600 });
  const seen: Seen[] = [];
  for (const e of FOLLOWED) link.events.on(e, ((...args: unknown[]) => seen.push([e, ...args])) as never);
  await link.start(store);
  closers.push(() => link.close());
  return { link, seen };
}

t.before(async () => {
  redis = await startRedis();
  store = new Store(new RedisKv(await connect(), false));
});

t.after(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  for (const c of clients) if (c.isOpen) await c.close().catch(() => undefined); // the followers destroyed their readers
  await redis.stop();
});

t('one follower per host, in order; a stopped follower\'s host is taken over from the next event; edges and counts', async () => {
  const h1 = await startHost('h1');
  await store.openShow({ showId: 's1', model: 'm', openedAt: 1, slowModeSeconds: 0, host: 'h1' }, 60_000);
  const one = await follower('one');
  const two = await follower('two');
  await until(() => one.link.followed.includes('h1'), 5_000, 'one to follow h1');
  assert.equal(two.link.followed, [], 'a host is followed by one process');

  h1.viewers.s1 = 3;
  h1.events.emit('showstarted', 's1');
  h1.events.emit('viewercount', 's1', 3);
  h1.events.emit('showstalled', 's1');
  await until(() => one.seen.length === 3, 5_000, 'the events at one');
  assert.equal(one.seen, [['showstarted', 's1'], ['viewercount', 's1', 3], ['showstalled', 's1']]);
  assert.equal(two.seen, []);

  await one.link.close(); // a signaling process stopping gives its leases back
  await until(() => two.link.followed.includes('h1'), 5_000, 'two to take h1 over');
  h1.events.emit('showresumed', 's1');
  await until(() => two.seen.length > 0, 5_000, 'the next event at two');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(two.seen, [['showresumed', 's1']], 'from where one stopped: nothing replayed');

  // h2 relays s1 as an edge: its own start and end of the copy are not the show's; its viewers count.
  const h2 = await startHost('h2');
  await until(() => two.link.followed.includes('h2'), 5_000, 'two to follow h2');
  h2.viewers.s1 = 2;
  await new Promise((r) => setTimeout(r, 300)); // h2's heartbeat and the follower's view of the hosts
  h2.events.emit('showstarted', 's1');
  h2.events.emit('viewercount', 's1', 2);
  h2.events.emit('showended', 's1', 'show-ended');
  await until(() => two.seen.length === 2, 5_000, 'the count from h2');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(two.seen[1], ['viewercount', 's1', 5], '2 on the edge + 3 on the origin');
  assert.is(two.seen.length, 2, 'the edge\'s start and end of its copy are dropped');
  h1.events.emit('showended', 's1', 'disconnected');
  await until(() => two.seen.length === 3, 5_000, 'the origin\'s end');
  assert.equal(two.seen[2], ['showended', 's1', 'disconnected']);

  // Signaling ending a show reaches every host that holds it.
  await two.link.closeShow('s1');
  await until(() => h1.closedShows.length === 1 && h2.closedShows.length === 1, 5_000, 'closeShow on both hosts');
  assert.equal([h1.closedShows, h2.closedShows], [['s1'], ['s1']]);
});

t.run();

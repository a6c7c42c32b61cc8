/**
 * Signaling follows SFU hosts that run in their own processes (SFU_MODE=remote). Each host appends its
 * engine's lifecycle events to a Redis stream (sfu/host-events.ts); for each host, one signaling process at
 * a time holds a lease on it (renewed every `pollMs`, lost after `leaseMs`: a stopped or dead process's
 * hosts are taken over by another) and replays its stream, in order, from the last entry applied, into the
 * same `SfuFollower` the embedded SFU feeds (signaling/follow-sfu.ts).
 *
 * Only the host that holds a show (its record's `host`) speaks for its lifecycle: an edge host relaying the
 * show starts and ends its copy on its own. Viewer counts are summed over every host serving the show.
 */
import { TypedEmitter } from '../sfu/emitter.ts';
import type { SfuEngineEvents } from '../sfu/engine.ts';
import { FOLLOWED_EVENTS, SFU_COMMANDS_CHANNEL, SFU_EVENTS_STREAM } from '../sfu/host-events.ts';
import type { SfuLink } from './follow-sfu.ts';
import type { RedisClient } from './kv-redis.ts';
import type { SfuHost, SfuHostDirectory } from './sfu-hosts.ts';
import type { Store } from './store.ts';
import type pino from 'pino';

const LEASE = (host: string): string => `lc:sfulease:${host}`;
const POSITION = (host: string): string => `lc:sfupos:${host}`;
/** A stream position outlives any pause of the cluster's signaling worth replaying. */
const POSITION_TTL_MS = 86_400_000;

// KEYS[1] lease; ARGV: owner, ttlMs. Takes a free lease or renews one's own; 1 when held.
const CLAIM = `
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if cur then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface RemoteSfuOptions {
  /** Connected client for commands. */
  redis: RedisClient;
  /** A second connected client, only for blocking stream reads (closed by `close()`). */
  reader: RedisClient;
  hosts: SfuHostDirectory;
  /** This process's id in leases (random per start). */
  owner: string;
  logger: pino.Logger;
  /** How often leases are claimed or renewed (default 1000 ms). */
  pollMs?: number;
  /** How long a lease outlives its holder's last renewal (default 5000 ms). */
  leaseMs?: number;
}

type Followed = (typeof FOLLOWED_EVENTS)[number];
type StreamReply = [string, [string, string[]][]][] | null;

export class RemoteSfu implements SfuLink {
  readonly events = new TypedEmitter<SfuEngineEvents>();
  readonly #o: Required<RemoteSfuOptions>;
  /** Hosts whose lease this process holds, with the last stream entry applied. */
  readonly #held = new Map<string, string>();
  #known: SfuHost[] = [];
  #store: Store | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #reading: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: RemoteSfuOptions) {
    this.#o = { pollMs: 1000, leaseMs: 5000, ...options };
  }

  /** The hosts this process follows now. */
  get followed(): string[] { return [...this.#held.keys()].sort(); }

  /** Starts following, once the signaling server (and its store) exists. */
  async start(store: Store): Promise<void> {
    this.#store = store;
    await this.#claim();
    this.#timer = setInterval(() => { void this.#claim(); }, this.#o.pollMs);
    this.#timer.unref();
    this.#reading = this.#read();
  }

  /** Ends a show's media on every host (its origin and any edge relaying it). */
  async closeShow(showId: string): Promise<void> {
    await this.#o.redis.publish(SFU_COMMANDS_CHANNEL, JSON.stringify({ closeShow: showId }));
  }

  async #claim(): Promise<void> {
    if (this.#closed) return;
    try {
      this.#known = await this.#o.hosts.list();
      for (const host of this.#known) {
        const held = Number(await this.#o.redis.eval(CLAIM, { keys: [LEASE(host.id)], arguments: [this.#o.owner, String(this.#o.leaseMs)] })) === 1;
        if (held && !this.#held.has(host.id)) {
          this.#held.set(host.id, (await this.#o.redis.get(POSITION(host.id)) as string | null) ?? '0');
          this.#o.logger.info({ host: host.id }, 'following SFU host');
        } else if (!held && this.#held.delete(host.id)) {
          this.#o.logger.info({ host: host.id }, 'SFU host followed elsewhere now');
        }
      }
    } catch (err) {
      this.#o.logger.warn({ err }, 'claiming SFU hosts failed');
    }
  }

  async #read(): Promise<void> {
    while (!this.#closed) {
      const hosts = [...this.#held.entries()];
      if (hosts.length === 0) { await new Promise((r) => setTimeout(r, this.#o.pollMs)); continue; }
      let reply: StreamReply;
      try {
        reply = await this.#o.reader.sendCommand(['XREAD', 'COUNT', '100', 'BLOCK', String(this.#o.pollMs), 'STREAMS',
          ...hosts.map(([h]) => SFU_EVENTS_STREAM(h)), ...hosts.map(([, pos]) => pos)]) as StreamReply;
      } catch (err) {
        if (this.#closed) return;
        this.#o.logger.warn({ err }, 'reading SFU host events failed');
        await new Promise((r) => setTimeout(r, this.#o.pollMs));
        continue;
      }
      for (const [stream, entries] of reply ?? []) {
        const host = stream.slice(SFU_EVENTS_STREAM('').length);
        for (const [id, fields] of entries) {
          if (this.#closed || !this.#held.has(host)) break;
          await this.#apply(host, fields).catch((err: unknown) => this.#o.logger.error({ err, host }, 'applying an SFU host event failed'));
          this.#held.set(host, id);
          await this.#o.redis.set(POSITION(host), id, { PX: POSITION_TTL_MS }).catch(() => undefined);
        }
      }
    }
  }

  async #apply(host: string, fields: string[]): Promise<void> {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
    const event = f.e as Followed;
    if (!(FOLLOWED_EVENTS as readonly string[]).includes(event)) return;
    const args = JSON.parse(f.a ?? '[]') as unknown[];
    const showId = args[0];
    if (typeof showId !== 'string') return;
    if (event === 'viewercount') {
      const here = Number(args[1]) || 0;
      const elsewhere = this.#known.filter((h) => h.id !== host).reduce((n, h) => n + (h.showViewers[showId] ?? 0), 0);
      this.events.emit('viewercount', showId, here + elsewhere);
      return;
    }
    const show = await this.#store!.getShow(showId);
    if (show && show.host !== host) return;
    if (event === 'showended') this.events.emit('showended', showId, args[1] as SfuEngineEvents['showended'][1]);
    else this.events.emit(event, showId);
  }

  /** Stops following and gives the leases back at once, so another process takes the hosts over (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#o.reader.destroy();
    await this.#reading;
    for (const host of this.#held.keys()) {
      await this.#o.redis.eval(RELEASE, { keys: [LEASE(host)], arguments: [this.#o.owner] }).catch(() => undefined);
    }
    this.#held.clear();
  }
}

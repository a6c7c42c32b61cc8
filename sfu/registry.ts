/**
 * An SFU host's entry in the cluster's Redis: who it is (id, public URL), how loaded it is (viewers,
 * shows, capacity, per-show viewers) and whether it is draining, rewritten every `heartbeatMs` with a TTL
 * of `ttlMs`, so a host that dies vanishes from placement within that TTL. Signaling reads these entries
 * (signaling/sfu-hosts.ts) to place shows and viewers; the key layout is shared with it:
 *
 *   lc:sfuhost:<id>  JSON `SfuHostEntry`, with a TTL     lc:sfuhosts  set of ids (pruned by readers)
 */
import { createClient } from 'redis';
import type { SfuEngine } from './engine.ts';
import { SfuError } from './errors.ts';

type RedisClient = ReturnType<typeof createClient>;

/** What a host says about itself in Redis. */
export interface SfuHostEntry {
  /** Host id from configuration (SFU_HOST_ID). */
  id: string;
  /** Base URL clients reach this host's WHIP/WHEP at (SFU_PUBLIC_URL), without a trailing slash. */
  url: string;
  /** Connected viewers over every worker. */
  viewers: number;
  /** Shows this host holds (published here or relayed to it). */
  shows: number;
  /** Viewers this host should serve: workers x per-worker viewer budget. */
  capacity: number;
  /** True once the host was told to stop: it takes no new shows or viewers. */
  draining: boolean;
  /** Viewers per show held here. */
  showViewers: Record<string, number>;
  /** When the entry was written (ms since the epoch). */
  at: number;
}

export const SFU_HOST_KEY = (id: string): string => `lc:sfuhost:${id}`;
export const SFU_HOSTS_SET = 'lc:sfuhosts';
export const SFU_HOST_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface SfuRegistryOptions {
  /** Connected node-redis client (not closed by the registry). */
  redis: RedisClient;
  /** The engine whose load is reported. */
  engine: SfuEngine;
  /** Host id (letters, digits, `-`, `_`; at most 64). */
  id: string;
  /** Public base URL of this host's WHIP/WHEP. */
  url: string;
  /** Viewers this host should serve before signaling sends further viewers to an edge host. */
  capacity: number;
  /** How often the entry is rewritten (default 1000 ms). */
  heartbeatMs?: number;
  /** How long an entry outlives its last heartbeat (default 3 x heartbeatMs). */
  ttlMs?: number;
  /** Told when a heartbeat fails (Redis down): the next one retries. */
  onError?: (err: unknown) => void;
}

export class SfuRegistry {
  readonly #o: Required<Omit<SfuRegistryOptions, 'onError'>> & Pick<SfuRegistryOptions, 'onError'>;
  #timer: ReturnType<typeof setInterval> | undefined;
  #draining = false;
  #closed = false;
  #beating: Promise<void> = Promise.resolve();

  constructor(options: SfuRegistryOptions) {
    if (!SFU_HOST_ID.test(options.id)) throw new SfuError('SFU_BAD_REQUEST', 'host id: letters, digits, - and _ only, at most 64');
    const heartbeatMs = options.heartbeatMs ?? 1000;
    this.#o = { ...options, url: options.url.replace(/\/+$/, ''), heartbeatMs, ttlMs: options.ttlMs ?? 3 * heartbeatMs };
  }

  get draining(): boolean { return this.#draining; }

  /** Writes the entry now, then every heartbeat. */
  async start(): Promise<void> {
    await this.beat();
    this.#timer = setInterval(() => { void this.beat(); }, this.#o.heartbeatMs);
    this.#timer.unref();
  }

  /** Marks the host draining and says so at once (signaling stops placing shows and viewers here). */
  async drain(): Promise<void> {
    this.#draining = true;
    await this.beat();
  }

  /** The entry as it would be written now. */
  async entry(): Promise<SfuHostEntry> {
    const shows = this.#o.engine.closed ? [] : await this.#o.engine.showStats();
    const showViewers: Record<string, number> = {};
    for (const s of shows) showViewers[s.showId] = (showViewers[s.showId] ?? 0) + s.viewers;
    return {
      id: this.#o.id, url: this.#o.url, capacity: this.#o.capacity, draining: this.#draining,
      viewers: Object.values(showViewers).reduce((a, b) => a + b, 0), shows: Object.keys(showViewers).length,
      showViewers, at: Date.now(),
    };
  }

  /** One heartbeat (serialised: a slow Redis never has two in flight). */
  beat(): Promise<void> {
    this.#beating = this.#beating.then(async () => {
      if (this.#closed) return;
      try {
        const entry = await this.entry();
        await this.#o.redis.multi()
          .set(SFU_HOST_KEY(this.#o.id), JSON.stringify(entry), { PX: this.#o.ttlMs })
          .sAdd(SFU_HOSTS_SET, this.#o.id)
          .exec();
      } catch (err) {
        this.#o.onError?.(err);
      }
    });
    return this.#beating;
  }

  /** Stops the heartbeat and removes the entry (idempotent); the Redis client stays open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    await this.#beating;
    this.#closed = true;
    await this.#o.redis.multi().del(SFU_HOST_KEY(this.#o.id)).sRem(SFU_HOSTS_SET, this.#o.id).exec().catch((err: unknown) => this.#o.onError?.(err));
  }
}

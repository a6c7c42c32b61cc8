/**
 * Where shows and viewers go. The SFU hosts of the cluster register themselves and their load in Redis
 * (sfu/registry.ts); signaling reads them here and places:
 *
 * - a new show on the least-loaded host that is not draining (`placeShow`);
 * - a viewer on the show's host while it is under its budget and not draining, else on the least-loaded
 *   other host as an edge, which pulls the show from the origin named in the viewer's token (`placeViewer`).
 *
 * With the embedded SFU (`npm start`), the directory is one host, this process's own (`LocalSfuHosts`).
 */
import { SFU_HOST_KEY, SFU_HOSTS_SET, type SfuHostEntry } from '../sfu/registry.ts';
import type { RedisClient } from './kv-redis.ts';

export type SfuHost = SfuHostEntry;

/** The SFU hosts signaling may place on. */
export interface SfuHostDirectory {
  /** Every live host (dead ones have expired). */
  list(): Promise<SfuHost[]>;
  /** One live host, or null when it is gone. */
  get(id: string): Promise<SfuHost | null>;
}

/** The id of the embedded SFU's host (`npm start`). */
export const LOCAL_HOST_ID = 'local';

/** The embedded SFU: one host, this process, at its own public URL, never full. */
export class LocalSfuHosts implements SfuHostDirectory {
  readonly #url: () => string;

  /** @param url this process's public base URL (read at each placement: the port may be known only after listen) */
  constructor(url: () => string) {
    this.#url = url;
  }

  #host(): SfuHost {
    return { id: LOCAL_HOST_ID, url: this.#url().replace(/\/+$/, ''), viewers: 0, shows: 0, capacity: Number.MAX_SAFE_INTEGER, draining: false, showViewers: {}, at: Date.now() };
  }

  async list(): Promise<SfuHost[]> { return [this.#host()]; }
  async get(id: string): Promise<SfuHost | null> { return id === LOCAL_HOST_ID ? this.#host() : null; }
}

function parseEntry(raw: string | null): SfuHost | null {
  if (!raw) return null;
  try {
    const e = JSON.parse(raw) as SfuHost;
    if (typeof e.id !== 'string' || typeof e.url !== 'string' || typeof e.viewers !== 'number' || typeof e.capacity !== 'number') return null;
    return { ...e, draining: e.draining === true, shows: Number(e.shows) || 0, showViewers: e.showViewers ?? {} };
  } catch {
    return null;
  }
}

/** The hosts registered in Redis; an id whose entry expired is pruned from the set. */
export class RedisSfuHosts implements SfuHostDirectory {
  readonly #redis: RedisClient;

  constructor(redis: RedisClient) {
    this.#redis = redis;
  }

  async list(): Promise<SfuHost[]> {
    const ids = (await this.#redis.sMembers(SFU_HOSTS_SET)).sort();
    if (ids.length === 0) return [];
    const raws = await this.#redis.mGet(ids.map(SFU_HOST_KEY));
    const hosts: SfuHost[] = [];
    for (const [i, raw] of raws.entries()) {
      const host = parseEntry(raw as string | null);
      if (host) hosts.push(host);
      else await this.#redis.sRem(SFU_HOSTS_SET, ids[i]!);
    }
    return hosts;
  }

  async get(id: string): Promise<SfuHost | null> {
    return parseEntry(await this.#redis.get(SFU_HOST_KEY(id)) as string | null);
  }
}

const load = (h: SfuHost): number => (h.capacity > 0 ? h.viewers / h.capacity : Number.POSITIVE_INFINITY);

/** Least loaded first (viewers per capacity), then fewer shows, then by id (stable across processes). */
function byLoad(a: SfuHost, b: SfuHost): number {
  return load(a) - load(b) || a.shows - b.shows || a.id.localeCompare(b.id);
}

/** The host for a new show: the least-loaded one not draining; null when there is none. */
export function placeShow(hosts: SfuHost[]): SfuHost | null {
  return hosts.filter((h) => !h.draining).sort(byLoad)[0] ?? null;
}

/** Where a viewer of a show held by `origin` is sent, and whether it is an edge that must pull from the origin. */
export interface ViewerPlacement { host: SfuHost; edge: boolean }

/**
 * The origin while it is under its budget and not draining; else the least-loaded other host not draining
 * that is itself under its budget (an edge); else, with no such host, the origin anyway (its own admission
 * control answers a join it cannot take). Null when the origin is gone.
 */
export function placeViewer(origin: SfuHost | null, hosts: SfuHost[]): ViewerPlacement | null {
  if (!origin) return null;
  if (!origin.draining && origin.viewers < origin.capacity) return { host: origin, edge: false };
  const edge = hosts.filter((h) => h.id !== origin.id && !h.draining && h.viewers < h.capacity).sort(byLoad)[0];
  return edge ? { host: edge, edge: true } : { host: origin, edge: false };
}

/**
 * `Kv` on Redis (node-redis 5). Single operations are raw commands with the
 * same semantics as `MemoryKv`; every compound operation (a write and its TTL,
 * a conditional write, compare-and-set, set-if-greater) is one Lua script, so
 * it stays atomic across signaling processes and a crash never leaves half of it.
 */
import { createClient } from 'redis';
import type { HashSetOptions, Kv, SetOptions } from './kv.ts';

export type RedisClient = ReturnType<typeof createClient>;

const SET_IF_GREATER = `
local cur = redis.call('GET', KEYS[1])
local v = ARGV[1]
if cur and (#cur > #v or (#cur == #v and cur >= v)) then return {cur, 0} end
redis.call('SET', KEYS[1], v, 'KEEPTTL')
if cur then return {cur, 1} end
return {false, 1}`;

const INCR_WITH_TTL = `
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if tonumber(ARGV[2]) > 0 and redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n`;

// ARGV: ttlMs (0: keep), only-if-exists (1/0), then field, value, ...
const HSET_WITH_TTL = `
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
if tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1`;

const SADD_WITH_TTL = `
local added = redis.call('SADD', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return added`;

const COMPARE_AND_SET = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') return 1 end
return 0`;

/** Connects a node-redis client that never logs its URL (it may hold a password). */
export async function connectRedis(url: string, onError: (err: Error) => void): Promise<RedisClient> {
  const client = createClient({ url, socket: { reconnectStrategy: (retries) => Math.min(retries * 100, 2000) } });
  client.on('error', onError);
  await client.connect();
  return client;
}

export class RedisKv implements Kv {
  #client: RedisClient;
  #owned: boolean;
  #closed = false;

  /** @param client a connected client; @param owned close it on `close()` */
  constructor(client: RedisClient, owned = true) {
    this.#client = client;
    this.#owned = owned;
  }

  #cmd<T>(args: string[]): Promise<T> {
    return this.#client.sendCommand(args) as Promise<T>;
  }

  get(key: string): Promise<string | null> {
    return this.#cmd<string | null>(['GET', key]);
  }

  async set(key: string, value: string, options: SetOptions = {}): Promise<boolean> {
    const args = ['SET', key, value];
    if (options.ttlMs) args.push('PX', String(Math.max(1, Math.round(options.ttlMs))));
    if (options.nx) args.push('NX');
    return (await this.#cmd<string | null>(args)) === 'OK';
  }

  async del(...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return Number(await this.#cmd<number>(['DEL', ...keys]));
  }

  async incrBy(key: string, by: number, ttlMs?: number): Promise<number> {
    return Number(await this.#cmd<number>(['EVAL', INCR_WITH_TTL, '1', key, String(by), String(ttlMs ? Math.round(ttlMs) : 0)]));
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    return Number(await this.#cmd<number>(['PEXPIRE', key, String(Math.max(1, Math.round(ttlMs)))])) === 1;
  }

  async pttl(key: string): Promise<number> {
    return Number(await this.#cmd<number>(['PTTL', key]));
  }

  async hset(key: string, fields: Record<string, string>, options: HashSetOptions = {}): Promise<boolean> {
    const flat = Object.entries(fields).flat();
    if (flat.length === 0) return true;
    if (!options.ttlMs && !options.xx) {
      await this.#cmd(['HSET', key, ...flat]);
      return true;
    }
    const ttl = options.ttlMs ? String(Math.max(1, Math.round(options.ttlMs))) : '0';
    return Number(await this.#cmd<number>(['EVAL', HSET_WITH_TTL, '1', key, ttl, options.xx ? '1' : '0', ...flat])) === 1;
  }

  hget(key: string, field: string): Promise<string | null> {
    return this.#cmd<string | null>(['HGET', key, field]);
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    const flat = await this.#cmd<string[]>(['HGETALL', key]);
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
    return out;
  }

  async hdel(key: string, field: string): Promise<boolean> {
    return Number(await this.#cmd<number>(['HDEL', key, field])) === 1;
  }

  async sadd(key: string, member: string, ttlMs?: number): Promise<boolean> {
    if (!ttlMs) return Number(await this.#cmd<number>(['SADD', key, member])) === 1;
    return Number(await this.#cmd<number>(['EVAL', SADD_WITH_TTL, '1', key, String(Math.max(1, Math.round(ttlMs))), member])) === 1;
  }

  async srem(key: string, member: string): Promise<boolean> {
    return Number(await this.#cmd<number>(['SREM', key, member])) === 1;
  }

  smembers(key: string): Promise<string[]> {
    return this.#cmd<string[]>(['SMEMBERS', key]);
  }

  async sismember(key: string, member: string): Promise<boolean> {
    return Number(await this.#cmd<number>(['SISMEMBER', key, member])) === 1;
  }

  async scard(key: string): Promise<number> {
    return Number(await this.#cmd<number>(['SCARD', key]));
  }

  async setIfGreater(key: string, value: string): Promise<{ previous: string | null; replaced: boolean }> {
    const [previous, replaced] = await this.#cmd<[string | null, number]>(['EVAL', SET_IF_GREATER, '1', key, value]);
    return { previous: previous ?? null, replaced: Number(replaced) === 1 };
  }

  async compareAndSet(key: string, expected: string, value: string): Promise<boolean> {
    return Number(await this.#cmd<number>(['EVAL', COMPARE_AND_SET, '1', key, expected, value])) === 1;
  }

  async keys(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let cursor = '0';
    const pattern = prefix.replace(/[*?[\]\\]/g, '\\$&') + '*';
    do {
      const [next, batch] = await this.#cmd<[string, string[]]>(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '500']);
      cursor = next;
      out.push(...batch);
    } while (cursor !== '0');
    return [...new Set(out)];
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) await this.#client.close().catch(() => this.#client.destroy());
  }
}

/**
 * In-process `Kv`: Maps with lazy expiry plus a periodic sweep, so expired
 * keys do not pile up in a long-running single-process deployment.
 */
import { KvError, compareDecimal, type HashSetOptions, type Kv, type SetOptions } from './kv.ts';

type Value = string | Map<string, string> | Set<string>;
interface Entry { value: Value; expiresAt: number }

export class MemoryKv implements Kv {
  #data = new Map<string, Entry>();
  #sweep: NodeJS.Timeout;
  #closed = false;

  /** @param sweepMs how often expired keys are dropped */
  constructor(sweepMs = 10_000) {
    this.#sweep = setInterval(() => this.#sweepExpired(), sweepMs);
    this.#sweep.unref();
  }

  #sweepExpired(): void {
    const now = Date.now();
    for (const [k, e] of this.#data) if (e.expiresAt !== 0 && e.expiresAt <= now) this.#data.delete(k);
  }

  #entry(key: string): Entry | undefined {
    const e = this.#data.get(key);
    if (e && e.expiresAt !== 0 && e.expiresAt <= Date.now()) {
      this.#data.delete(key);
      return undefined;
    }
    return e;
  }

  #typed<T extends Value>(key: string, make: () => T, check: (v: Value) => v is T): T {
    const e = this.#entry(key);
    if (e) {
      if (!check(e.value)) throw new KvError('KV_WRONG_TYPE', `WRONGTYPE ${key}`);
      return e.value;
    }
    const value = make();
    this.#data.set(key, { value, expiresAt: 0 });
    return value;
  }

  async get(key: string): Promise<string | null> {
    const e = this.#entry(key);
    if (!e) return null;
    if (typeof e.value !== 'string') throw new KvError('KV_WRONG_TYPE', `WRONGTYPE ${key}`);
    return e.value;
  }

  async set(key: string, value: string, options: SetOptions = {}): Promise<boolean> {
    if (options.nx && this.#entry(key)) return false;
    this.#data.set(key, { value, expiresAt: options.ttlMs ? Date.now() + options.ttlMs : 0 });
    return true;
  }

  async del(...keys: string[]): Promise<number> {
    let n = 0;
    for (const k of keys) if (this.#entry(k) && this.#data.delete(k)) n++;
    return n;
  }

  async incrBy(key: string, by: number, ttlMs?: number): Promise<number> {
    const e = this.#entry(key);
    if (!e) {
      this.#data.set(key, { value: String(by), expiresAt: ttlMs ? Date.now() + ttlMs : 0 });
      return by;
    }
    if (typeof e.value !== 'string') throw new KvError('KV_WRONG_TYPE', `WRONGTYPE ${key}`);
    const next = Number(e.value) + by;
    e.value = String(next);
    return next;
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    const e = this.#entry(key);
    if (!e) return false;
    e.expiresAt = Date.now() + ttlMs;
    return true;
  }

  async pttl(key: string): Promise<number> {
    const e = this.#entry(key);
    if (!e) return -2;
    return e.expiresAt === 0 ? -1 : Math.max(0, e.expiresAt - Date.now());
  }

  async hset(key: string, fields: Record<string, string>, options: HashSetOptions = {}): Promise<boolean> {
    if (options.xx && !this.#entry(key)) return false;
    const h = this.#typed(key, () => new Map<string, string>(), (v): v is Map<string, string> => v instanceof Map);
    for (const [f, v] of Object.entries(fields)) h.set(f, v);
    if (options.ttlMs) this.#data.get(key)!.expiresAt = Date.now() + options.ttlMs;
    return true;
  }

  async hget(key: string, field: string): Promise<string | null> {
    const e = this.#entry(key);
    if (!e) return null;
    if (!(e.value instanceof Map)) throw new KvError('KV_WRONG_TYPE', `WRONGTYPE ${key}`);
    return e.value.get(field) ?? null;
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    const e = this.#entry(key);
    if (!e) return {};
    if (!(e.value instanceof Map)) throw new KvError('KV_WRONG_TYPE', `WRONGTYPE ${key}`);
    return Object.fromEntries(e.value);
  }

  async hdel(key: string, field: string): Promise<boolean> {
    const e = this.#entry(key);
    if (!e || !(e.value instanceof Map)) return false;
    const removed = e.value.delete(field);
    if (e.value.size === 0) this.#data.delete(key);
    return removed;
  }

  async sadd(key: string, member: string, ttlMs?: number): Promise<boolean> {
    const s = this.#typed(key, () => new Set<string>(), (v): v is Set<string> => v instanceof Set);
    if (ttlMs) this.#data.get(key)!.expiresAt = Date.now() + ttlMs;
    if (s.has(member)) return false;
    s.add(member);
    return true;
  }

  async srem(key: string, member: string): Promise<boolean> {
    const e = this.#entry(key);
    if (!e || !(e.value instanceof Set)) return false;
    const removed = e.value.delete(member);
    if (e.value.size === 0) this.#data.delete(key);
    return removed;
  }

  async smembers(key: string): Promise<string[]> {
    const e = this.#entry(key);
    if (!e) return [];
    if (!(e.value instanceof Set)) throw new KvError('KV_WRONG_TYPE', `WRONGTYPE ${key}`);
    return [...e.value];
  }

  async sismember(key: string, member: string): Promise<boolean> {
    const e = this.#entry(key);
    return !!e && e.value instanceof Set && e.value.has(member);
  }

  async scard(key: string): Promise<number> {
    const e = this.#entry(key);
    return e && e.value instanceof Set ? e.value.size : 0;
  }

  // The compound operations read synchronously: an `await` between the read and the write would let another
  // caller's write slip in between, and they would no longer be atomic.
  #string(key: string): string | null {
    const e = this.#entry(key);
    if (!e) return null;
    if (typeof e.value !== 'string') throw new Error(`WRONGTYPE ${key}`);
    return e.value;
  }

  async setIfGreater(key: string, value: string): Promise<{ previous: string | null; replaced: boolean }> {
    const previous = this.#string(key);
    if (previous !== null && compareDecimal(value, previous) <= 0) return { previous, replaced: false };
    const e = this.#entry(key);
    if (e) e.value = value;
    else this.#data.set(key, { value, expiresAt: 0 });
    return { previous, replaced: true };
  }

  async compareAndSet(key: string, expected: string, value: string): Promise<boolean> {
    if (this.#string(key) !== expected) return false;
    this.#entry(key)!.value = value;
    return true;
  }

  async keys(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for (const k of [...this.#data.keys()]) if (k.startsWith(prefix) && this.#entry(k)) out.push(k);
    return out;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweep);
    this.#data.clear();
  }
}

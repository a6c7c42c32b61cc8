/**
 * The small key-value vocabulary the signaling store is written in. Two
 * backends implement it with the same semantics: `MemoryKv` (one process, the
 * default) and `RedisKv` (several processes). Values are strings; TTLs are in
 * milliseconds; every operation is atomic on its own.
 */
import { PlatformError } from '../crypto/errors.ts';

/** A key holds another type than the operation expects: a bug, since each prefix has one type. */
export class KvError extends PlatformError<'KV_WRONG_TYPE'> {}
export interface SetOptions {
  /** Expire the key after this many milliseconds. */
  ttlMs?: number;
  /** Only set when the key does not exist (claim). */
  nx?: boolean;
}

export interface HashSetOptions {
  /** (Re)sets the key's TTL in the same atomic step as the write. */
  ttlMs?: number;
  /** Only write when the key exists (an update must not recreate an expired key without its TTL). */
  xx?: boolean;
}

export interface Kv {
  get(key: string): Promise<string | null>;
  /** Returns false when `nx` was set and the key existed. */
  set(key: string, value: string, options?: SetOptions): Promise<boolean>;
  /** Deletes the keys, returns how many existed. */
  del(...keys: string[]): Promise<number>;
  /** Adds `by` (integer) and returns the new value; `ttlMs` is set when the key is created. */
  incrBy(key: string, by: number, ttlMs?: number): Promise<number>;
  /** Sets a TTL on an existing key; false when the key does not exist. */
  expire(key: string, ttlMs: number): Promise<boolean>;
  /** Remaining TTL in ms: -1 without TTL, -2 when the key does not exist. */
  pttl(key: string): Promise<number>;
  /** Writes the fields; false when `xx` was set and the key did not exist. */
  hset(key: string, fields: Record<string, string>, options?: HashSetOptions): Promise<boolean>;
  hget(key: string, field: string): Promise<string | null>;
  hgetall(key: string): Promise<Record<string, string>>;
  hdel(key: string, field: string): Promise<boolean>;
  /** Returns true when the member was added; `ttlMs` (re)sets the key's TTL in the same atomic step. */
  sadd(key: string, member: string, ttlMs?: number): Promise<boolean>;
  /** Returns true when the member was removed. */
  srem(key: string, member: string): Promise<boolean>;
  smembers(key: string): Promise<string[]>;
  sismember(key: string, member: string): Promise<boolean>;
  scard(key: string): Promise<number>;
  /**
   * Stores `value` (a non-negative decimal integer string) when it is strictly
   * greater than the current value (or the key is absent). Returns the value
   * held before the call (null when absent) and whether it was replaced.
   */
  setIfGreater(key: string, value: string): Promise<{ previous: string | null; replaced: boolean }>;
  /** Replaces the string at `key` only while it still equals `expected`; true when replaced. */
  compareAndSet(key: string, expected: string, value: string): Promise<boolean>;
  /** Every key starting with `prefix` (an administrative scan, not for hot paths). */
  keys(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

/** Compares two non-negative decimal integer strings without leading zeros. */
export function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

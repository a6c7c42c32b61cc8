/**
 * When Redis goes away, the error log says what happened (the error's name and code, e.g. ECONNREFUSED) instead
 * of `[object Object]`, and still names no address. Found by `npm run bench:soak` (every Redis error of its Redis
 * restarts was logged as `[object Object]`).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { createLogger } from '../../signaling/logger.ts';
import { startRedis, startServer, until, type RedisHandle, type Running } from './helpers.ts';

const t = suite('redis errors in the log');
const lines: string[] = [];
const sink = new Writable({ write(chunk, _enc, cb) { lines.push(...String(chunk).split('\n').filter(Boolean)); cb(); } });
let redis: RedisHandle;
let run: Running;

t.before(async () => {
  redis = await startRedis();
  run = await startServer({ logger: createLogger('error', sink), env: { REDIS_URL: redis.url } });
});
t.after(async () => {
  // Closing waits for Redis, which is gone: give it a moment, as main.ts's forced exit does.
  await Promise.race([run?.server.close().catch(() => undefined), new Promise((r) => setTimeout(r, 2_000))]);
});

t('a lost Redis connection is logged with its name and code, without an address', async () => {
  await redis.stop();
  const logged = await until(() => lines.map((l) => JSON.parse(l) as { msg?: string; redis?: { name?: string; code?: string } })
    .find((e) => e.msg === 'redis error' && e.redis?.code), 15_000, 'a redis error with a code');
  assert.ok(logged!.redis!.name && logged!.redis!.name !== 'NonError', `name: ${logged!.redis!.name}`);
  const text = lines.join('\n');
  assert.not.ok(text.includes('[object Object]'), 'no [object Object]');
  assert.not.ok(text.includes('127.0.0.1'), 'no address');
  assert.not.ok(text.includes(String(redis.port)), 'no port');
});

t.run();

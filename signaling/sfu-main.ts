/**
 * `npm run sfu`: one SFU host of a cluster, in its own process. It serves WHIP/WHEP (with `/healthz` and
 * `/metrics`) on HOST:PORT, registers itself and its load in Redis under SFU_HOST_ID with a heartbeat
 * (sfu/registry.ts), streams its engine's events to signaling and obeys its `closeShow` (sfu/host-events.ts).
 * Signaling processes run with SFU_MODE=remote and the same REDIS_URL and SESSION_SECRET.
 *
 * SIGTERM (or SIGINT) drains: the host is marked draining (no new shows or viewers are placed here, new
 * sessions are refused), each viewer's WHEP event stream gets `reconnect` (`draining`) so its player asks
 * signaling again and lands on another host, and the process exits once no viewer or show is left, or after
 * SFU_DRAIN_SECONDS. Exit codes: 0 after a stop, 1 when it fails to start, 2 on an invalid configuration.
 */
import { createServer } from 'node:http';
import express from 'express';
import { Registry } from 'prom-client';
import { createSfu } from '../sfu/sfu.ts';
import { createSfuRouter } from '../sfu/http.ts';
import { registerSfuMetrics } from '../sfu/metrics.ts';
import { SfuDrain } from '../sfu/drain.ts';
import { SfuRegistry } from '../sfu/registry.ts';
import { SfuHostEvents } from '../sfu/host-events.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { connectRedis } from './kv-redis.ts';
import { createLogger } from './logger.ts';
import { metricsAllowed } from './metrics-access.ts';
import { sfuTokenKey } from './sfu-token-key.ts';

function configOrExit(): Config {
  try {
    const config = loadConfig();
    if (!config.REDIS_URL) throw new ConfigError('REDIS_URL', 'expected the Redis the SFU host registers in (an SFU host runs in a cluster)');
    return config;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`Invalid configuration: ${err.message}`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const logger = createLogger(config.LOG_LEVEL);
  const onRedisError = (err: Error) => logger.warn({ err: err.message }, 'Redis connection error');
  const redis = await connectRedis(config.REDIS_URL!, onRedisError);
  const subscriber = await connectRedis(config.REDIS_URL!, onRedisError);
  const media = await createSfu({
    workers: config.SFU_WORKERS, listenIp: config.HOST, announcedIp: config.SFU_ANNOUNCED_IP,
    stallAfterMs: config.SFU_STALL_SECONDS * 1000, stallEndMs: config.SFU_STALL_END_SECONDS * 1000, joinCpuBudget: config.SFU_JOIN_CPU_PERCENT / 100,
    // Beyond this a show's viewers spill to the host's other workers (sfu/relay/).
    viewersPerWorker: config.SFU_VIEWERS_PER_WORKER,
  });
  const engine = media.engine;
  const drain = new SfuDrain();
  const registry = new Registry();
  registerSfuMetrics(registry, engine);

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => { res.status(engine.closed ? 503 : 200).json({ ok: !engine.closed, draining: drain.draining }); });
  app.get('/metrics', async (req, res) => {
    if (!metricsAllowed(req, config.METRICS_TOKEN)) { res.status(401).json({ error: { code: 'UNAUTHENTICATED', message: 'metrics token required' } }); return; }
    res.set('Content-Type', registry.contentType).send(await registry.metrics());
  });
  // The public URL is needed by the router (Location) before the port is known when PORT=0: read it late.
  let publicUrl = config.SFU_PUBLIC_URL ?? config.PUBLIC_URL ?? '';
  const secret = await sfuTokenKey(config.SESSION_SECRET);
  let router = createSfuRouter({ engine, secret, drain, publicUrl });
  app.use((req, res, next) => router(req, res, next));
  const server = createServer(app);
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve((server.address() as { port: number }).port));
  });
  if (!publicUrl) {
    publicUrl = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
    router = createSfuRouter({ engine, secret, drain, publicUrl });
  }

  const host = new SfuRegistry({
    redis, engine, id: config.SFU_HOST_ID, url: publicUrl, capacity: config.SFU_WORKERS * config.SFU_VIEWERS_PER_WORKER,
    onError: (err) => logger.warn({ err: String(err) }, 'SFU host heartbeat failed'),
  });
  const events = new SfuHostEvents({ redis, subscriber, engine, id: config.SFU_HOST_ID, onError: (err) => logger.warn({ err: String(err) }, 'SFU host event failed') });
  await events.start();
  await host.start();
  console.log(`SFU host ${config.SFU_HOST_ID} at ${publicUrl} (PORT ${port}, ${config.SFU_WORKERS} workers)`);

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ host: config.SFU_HOST_ID, why }, 'SFU host draining');
    const force = setTimeout(() => process.exit(1), config.SFU_DRAIN_SECONDS * 1000 + 10_000);
    force.unref();
    drain.start();
    await host.drain();
    const deadline = Date.now() + config.SFU_DRAIN_SECONDS * 1000;
    while (Date.now() < deadline) {
      const entry = await host.entry();
      if (entry.viewers === 0 && entry.shows === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await host.close();
    await events.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await media.close();
    await subscriber.close().catch(() => subscriber.destroy());
    await redis.close().catch(() => redis.destroy());
    process.exit(0);
  };
  const onSignal = (why: string) => { stop(why).catch((err: unknown) => { logger.error({ err }, 'SFU host stop failed'); process.exit(1); }); };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

await main().catch((err: unknown) => {
  console.error(`The SFU host failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

/**
 * The signaling server, wired: express app + socket.io with typed events over
 * a Store (memory by default, Redis with REDIS_URL, with the socket.io Redis
 * adapter so several processes act as one). What each part does lives in its
 * module: connections.ts (limits, disconnect cleanup), dispatch.ts (event to
 * handler to ack), timers.ts, the handler modules, store.ts.
 */
import { DirectoryRating } from './directory-rating.ts';
import http from 'node:http';
import express from 'express';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type pino from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from './config.ts';
import { DEFAULT_TUNING, type ChainInfo, type Ctx, type IO, type Sock, type Tuning } from './context.ts';
import { createLogger } from './logger.ts';
import { SignalingMetrics } from './metrics.ts';
import { Store } from './store.ts';
import { MemoryKv } from './kv-memory.ts';
import { RedisKv, connectRedis, type RedisClient } from './kv-redis.ts';
import { Auth } from './auth.ts';
import { sfuTokenKey } from './sfu-token-key.ts';
import { Payments } from './payments.ts';
import { Records } from './records.ts';
import { Timers } from './timers.ts';
import { ConnectionGate, socketGone } from './connections.ts';
import { Dispatcher } from './dispatch.ts';
import { RateLimits } from './limits.ts';
import { AGE_DOCUMENT_PATH } from './protocol.ts';
import { sendError, sendThrown } from './http-errors.ts';
import { metricsAllowed } from './metrics-access.ts';
import { heartbeat } from './presence.ts';
import { SfuFollower, type SfuLink } from './follow-sfu.ts';
import { LocalSfuHosts, type SfuHostDirectory } from './sfu-hosts.ts';
import { sessionHandlers } from './session.ts';
import { showHandlers } from './shows.ts';
import { chatHandlers } from './chat.ts';
import { privateHandlers } from './private.ts';
import { accountHandlers, ageUploadRouter, verifierRouter } from './account.ts';
import { voucherHandlers } from './vouchers.ts';
import { regionHandlers } from './regions.ts';
import { tipHandlers } from './tips.ts';
import { RegionRules } from './region-rules.ts';
import { CountryLookup } from './geoip.ts';
import { clientAddress, trustedProxies, type ProxyTrust } from './client-address.ts';
import { SignalingError } from './errors.ts';

export interface SignalingOptions {
  /** Validated configuration (signaling/config.ts). */
  config: Config;
  /** The EVM chain for channel pre-checks and voucher checks; without it, tips and private shows answer CHAIN_UNAVAILABLE. */
  chain?: ChainInfo;
  /** Logger; default pino at config.LOG_LEVEL on stdout. */
  logger?: pino.Logger;
  /** Metrics registry; default a fresh one with process metrics. */
  registry?: Registry;
  /** The SFU whose lifecycle signaling follows (signaling/follow-sfu.ts; an in-process SfuEngine fits); without it no show goes public. */
  sfu?: SfuLink;
  /** The SFU hosts to place shows on; default this process's embedded SFU at PUBLIC_URL (or the bound address). */
  sfuHosts?: SfuHostDirectory;
  /** Origin bound into login challenges; default the origin of PUBLIC_URL, else http://HOST:PORT. */
  audience?: string;
  /** Timings and limits (tests shorten them). */
  tuning?: Partial<Tuning>;
  /** Country of a connecting address; default the shipped DB-IP data (geoip.ts), read on first use. */
  countries?: CountryLookup;
}

export interface SignalingServer {
  config: Config;
  app: express.Express;
  httpServer: http.Server;
  io: IO;
  registry: Registry;
  store: Store;
  /** Encrypted records; `records.shredBackups(newKey)` is the operator's rotation after deletions. */
  records: Records;
  /** The directory's ranking (null without a chain); `rating.refresh()` reads new blocks now. */
  rating: DirectoryRating | null;
  /** True when `model` hides from the country an HTTP request comes from (the address is looked up and dropped). */
  hidesFrom(model: string, req: http.IncomingMessage): Promise<boolean>;
  listen(port: number, host: string): Promise<number>;
  close(): Promise<void>;
}

export async function createSignalingServer(options: SignalingOptions): Promise<SignalingServer> {
  const { config } = options;
  const tuning: Tuning = {
    ...DEFAULT_TUNING,
    maxConnectionsPerAddress: config.MAX_CONNECTIONS_PER_ADDRESS,
    maxPendingAgeDocuments: config.AGE_PENDING_MAX,
    ...options.tuning,
    // Behind a reverse proxy every client has the proxy's address: the operator turns these off (0: no limit).
    ...(config.ADDRESS_RATE_LIMITS === 'off' ? { anonymousEventsPerSecond: 0, loginsPerMinute: 0, httpRequestsPerMinute: 0, ageDocumentsPerAddressPerHour: 0 } : {}),
  };
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const metrics = new SignalingMetrics(options.registry);
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);

  // --- store and Redis --------------------------------------------------------
  const redisClients: RedisClient[] = [];
  // Name and code only (its message names Redis's address); not under `err`, whose serializer takes Errors only.
  const onRedisError = (err: Error) => {
    const code = (err as { code?: unknown }).code;
    logger.error({ redis: { name: err.name, ...(typeof code === 'string' ? { code } : {}) } }, 'redis error');
  };
  let kv;
  if (config.REDIS_URL) {
    const main = await connectRedis(config.REDIS_URL, onRedisError);
    redisClients.push(main);
    kv = new RedisKv(main, false);
  } else {
    kv = new MemoryKv();
  }
  const store = new Store(kv);

  // --- socket.io ----------------------------------------------------------------
  // Behind a trusted proxy, the address its header names counts, for the limits as for the country.
  const proxyTrust: ProxyTrust | null = config.TRUSTED_PROXY_HEADER
    ? { header: config.TRUSTED_PROXY_HEADER, proxies: trustedProxies(config.TRUSTED_PROXIES) }
    : null;
  const limits = new RateLimits({
    tuning, redis: redisClients[0] ?? null, metrics,
    addressOf: (remote, headers) => clientAddress(remote, headers, proxyTrust),
  });
  const gate = new ConnectionGate(tuning, metrics, (socket) => limits.socketHash(socket));
  const io: IO = new Server(httpServer, {
    maxHttpBufferSize: tuning.maxMessageBytes,
    serveClient: false,
    pingInterval: 20_000,
    pingTimeout: 20_000,
    connectTimeout: 10_000,
    perMessageDeflate: false,
    httpCompression: false,
    cors: { origin: false },
    allowRequest: (_req, callback) => gate.allowRequest(io.engine.clientsCount, callback),
  });

  let chatLimiter: RateLimiterAbstract;
  if (config.REDIS_URL) {
    const pub = redisClients[0]!.duplicate();
    const sub = redisClients[0]!.duplicate();
    pub.on('error', onRedisError);
    sub.on('error', onRedisError);
    await Promise.all([pub.connect(), sub.connect()]);
    redisClients.push(pub, sub);
    io.adapter(createAdapter(pub, sub, { key: 'lc:io', requestsTimeout: 3000, publishOnSpecificResponseChannel: true }));
    chatLimiter = new RateLimiterRedis({
      storeClient: redisClients[0], useRedisPackage: true, keyPrefix: 'lc:rl:chat',
      points: tuning.chatPoints, duration: tuning.chatWindowSeconds,
    });
  } else {
    chatLimiter = new RateLimiterMemory({ keyPrefix: 'lc:rl:chat', points: tuning.chatPoints, duration: tuning.chatWindowSeconds });
  }

  // --- what handlers share --------------------------------------------------------
  const audience = options.audience
    ?? (config.PUBLIC_URL ? new URL(config.PUBLIC_URL).origin : `http://${config.HOST}:${config.PORT}`);
  // Work still running when close() starts is awaited before the store and Redis go away.
  const inflight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    inflight.add(work);
    void work.finally(() => inflight.delete(work)).catch(() => undefined);
  };
  const records = new Records(store, config.MASTER_KEYS);
  store.sealWith(records);
  const countries = options.countries ?? new CountryLookup();
  const ctx: Ctx = {
    config, tuning, store, io, logger, metrics,
    auth: new Auth(store, config.SESSION_SECRET, audience, tuning.sessionTtlSeconds, config.LOGIN_ORIGINS),
    sfuTokenKey: await sfuTokenKey(config.SESSION_SECRET),
    records,
    payments: options.chain ? new Payments(options.chain) : null,
    rating: options.chain
      ? new DirectoryRating({ provider: options.chain.provider, channels: options.chain.addresses.channels, store, logger, refreshMs: config.RATING_REFRESH_SECONDS * 1000 })
      : null,
    sfu: options.sfu ?? null,
    sfuHosts: options.sfuHosts ?? new LocalSfuHosts(() => config.PUBLIC_URL ?? ctx.auth.audience),
    limiters: { chat: chatLimiter },
    regions: new RegionRules({ store, sealer: records, cacheMs: tuning.regionCacheMs }),
    limits,
    timers: new Timers(track, logger),
    localModels: new Map(),
    localShows: new Map(),
    track,
  };

  // --- connections and events ---------------------------------------------------------
  const dispatcher = new Dispatcher({
    handlers: { ...sessionHandlers(ctx), ...showHandlers(ctx), ...chatHandlers(ctx), ...privateHandlers(ctx), ...accountHandlers(ctx), ...voucherHandlers(ctx), ...regionHandlers(ctx), ...tipHandlers(ctx) },
    limits,
    metrics, logger, track,
  });
  let closing = false;
  // The country first (a refusal here leaves nothing for gate.release to undo); only the code stays on the socket.
  io.use((socket, next) => {
    const address = clientAddress(socket.handshake.address, socket.handshake.headers, proxyTrust);
    countries.country(address ?? '').then((country) => {
      (socket as Sock).data.country = country;
      next();
    }, (err: unknown) => {
      logger.error({ err }, 'country lookup failed');
      const refused = new SignalingError('INTERNAL', 'internal error');
      next(Object.assign(refused, { data: refused.toJSON() }));
    });
  });
  io.use((socket, next) => gate.admit(socket as Sock, next));
  io.on('connection', (socket: Sock) => {
    socket.data.shows ??= new Set();
    metrics.connections.inc();
    dispatcher.attach(socket);
    socket.on('disconnect', () => {
      metrics.connections.dec();
      gate.release(socket);
      if (closing) return;
      track(socketGone(ctx, socket).catch((err: unknown) => logger.error({ err }, 'disconnect cleanup failed')));
    });
  });

  // --- SFU events -------------------------------------------------------------
  const sfuFollower = options.sfu ? new SfuFollower(ctx, options.sfu) : null;

  // --- HTTP -----------------------------------------------------------------------
  // Every route under /api (chain info, RPC proxy, faucet, receivers; mounted later by platform.ts) and the
  // age-document upload count against the connecting address first.
  app.use(['/api', AGE_DOCUMENT_PATH], limits.http());
  app.get('/metrics', async (req, res) => {
    if (!metricsAllowed(req, config.METRICS_TOKEN)) {
      return sendError(res, 'UNAUTHENTICATED', config.METRICS_TOKEN ? 'metrics token required' : 'metrics are served to loopback clients only (set METRICS_TOKEN)');
    }
    try {
      const text = await metrics.registry.metrics();
      res.set('Content-Type', metrics.registry.contentType);
      res.send(text);
    } catch (err) {
      sendThrown(res, err, logger, 'metrics failed');
    }
  });
  app.use('/verifier', verifierRouter(ctx));
  app.use(ageUploadRouter(ctx));

  void ctx.rating?.start();
  const beat = setInterval(() => {
    track(heartbeat(ctx).catch((err: unknown) => logger.warn({ err }, 'heartbeat failed')));
  }, tuning.heartbeatMs);
  beat.unref();

  let closed: Promise<void> | null = null;
  const server: SignalingServer = {
    config, app, httpServer, io, registry: metrics.registry, store, records: ctx.records, rating: ctx.rating,
    async hidesFrom(model, req) {
      const country = await countries.country(clientAddress(req.socket.remoteAddress, req.headers, proxyTrust) ?? '');
      return ctx.regions.hides(model, country, true);
    },
    listen(port, host) {
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          const addr = httpServer.address();
          const bound = typeof addr === 'object' && addr ? addr.port : port;
          // Without PUBLIC_URL, challenges name the address actually bound (PORT may be 0).
          if (!options.audience && !config.PUBLIC_URL) ctx.auth.audience = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
          resolve(bound);
        });
      });
    },
    close() {
      closed ??= (async () => {
        closing = true;
        gate.close();
        // Stop listening first: a reverse proxy then sends new connections (the reconnects this close causes) to
        // another process instead of to one that would refuse them.
        const stopped = httpServer.listening ? new Promise<void>((resolve) => httpServer.close(() => resolve())) : Promise.resolve();
        clearInterval(beat);
        sfuFollower?.close();
        ctx.rating?.close();
        ctx.timers.close();
        // Close the connections, not the sessions: a server-side `disconnect` tells socket.io clients they were
        // kicked and they never reconnect, while a process stopping (restart, deploy) wants them back on its
        // successor. Each socket's disconnect cleanup runs as for any dropped connection.
        for (const socket of io.of('/').sockets.values()) socket.conn.close();
        const drained = Promise.allSettled([...inflight]);
        await Promise.race([drained, new Promise((r) => setTimeout(r, 5_000).unref())]);
        await new Promise<void>((resolve) => io.close(() => resolve()));
        httpServer.closeAllConnections?.();
        await stopped;
        await store.close();
        for (const c of redisClients) await c.close().catch(() => c.destroy());
      })();
      return closed;
    },
  };
  return server;
}

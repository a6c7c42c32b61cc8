/**
 * The signaling server: express app + socket.io with typed events. Every
 * inbound event is validated against protocol.ts and answered through its ack;
 * state lives in the Store (memory by default, Redis with REDIS_URL, with the
 * socket.io Redis adapter so several processes act as one).
 *
 * Privacy choice for connection limits: the remote address is turned into a
 * salted HMAC at connect time (salt random per process, never stored) and only
 * that hash is counted, in memory; the address itself is never stored or logged.
 */
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import express from 'express';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type pino from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from './config.ts';
import { CLIENT_EVENTS, PROTOCOL_VERSION, describeIssue, schemas, type ClientEvent } from './protocol.ts';
import { DEFAULT_TUNING, isAuthed, rooms, type Parsed, type AuthedSock, type ChainInfo, type Ctx, type HandlerSpec, type Handlers, type IO, type Sock, type SfuControl, type Tuning } from './context.ts';
import { SignalingError, answerFor } from './errors.ts';
import { createLogger } from './logger.ts';
import { SignalingMetrics } from './metrics.ts';
import { Store } from './store.ts';
import { MemoryKv } from './kv-memory.ts';
import { RedisKv, connectRedis, type RedisClient } from './kv-redis.ts';
import { Auth } from './auth.ts';
import { Payments } from './payments.ts';
import { Records } from './records.ts';
import { endShow, heartbeat, modelGone, scheduleViewerPush } from './presence.ts';
import { sessionHandlers } from './session.ts';
import { showHandlers } from './shows.ts';
import { chatHandlers } from './chat.ts';
import { privateHandlers, peerGone } from './private.ts';
import { accountHandlers, ageUploadRouter, verifierRouter } from './account.ts';

/** SFU engine events signaling listens to (sfu/engine.ts `SfuEngine.events`). */
export interface SfuEventSource {
  on(event: 'showended', listener: (showId: string, reason: string) => void): unknown;
  off(event: 'showended', listener: (showId: string, reason: string) => void): unknown;
}

export interface SignalingOptions {
  /** Validated configuration (signaling/config.ts). */
  config: Config;
  /** The EVM chain for channel pre-checks and voucher checks; without it, tips and private shows answer CHAIN_UNAVAILABLE. */
  chain?: ChainInfo;
  /** Logger; default pino at config.LOG_LEVEL on stdout. */
  logger?: pino.Logger;
  /** Metrics registry; default a fresh one with process metrics. */
  registry?: Registry;
  /** SFU engine events: a show whose publisher deleted its WHIP session ends for its viewers too (default `sfu.events`). */
  sfuEvents?: SfuEventSource;
  /** Lets signaling close a show's media when it ends it (ban, close, account deletion): an in-process SfuEngine fits. */
  sfu?: SfuControl & { events?: SfuEventSource };
  /** Origin bound into login challenges; default the origin of PUBLIC_URL, else http://HOST:PORT. */
  audience?: string;
  /** Timings and limits (tests shorten them). */
  tuning?: Partial<Tuning>;
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
  listen(port: number, host: string): Promise<number>;
  close(): Promise<void>;
}

export async function createSignalingServer(options: SignalingOptions): Promise<SignalingServer> {
  const { config } = options;
  const tuning: Tuning = { ...DEFAULT_TUNING, ...options.tuning };
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const metrics = new SignalingMetrics(options.registry);
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);

  const redisClients: RedisClient[] = [];
  const onRedisError = (err: Error) => logger.error({ err: { name: err.name, message: err.message } }, 'redis error');
  let kv;
  if (config.REDIS_URL) {
    const main = await connectRedis(config.REDIS_URL, onRedisError);
    redisClients.push(main);
    kv = new RedisKv(main, false);
  } else {
    kv = new MemoryKv();
  }
  const store = new Store(kv);

  const io: IO = new Server(httpServer, {
    maxHttpBufferSize: tuning.maxMessageBytes,
    serveClient: false,
    pingInterval: 20_000,
    pingTimeout: 20_000,
    connectTimeout: 10_000,
    perMessageDeflate: false,
    httpCompression: false,
    cors: { origin: false },
    // Refuse at the HTTP handshake, before a WebSocket is even set up, once the process is full.
    allowRequest: (_req, callback) => {
      const full = ctx.closing || io.engine.clientsCount >= tuning.maxConnections;
      if (full) metrics.connectionsRefused.inc({ reason: 'process' });
      callback(full ? 'server full' : null, !full);
    },
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
  const eventLimiter = new RateLimiterMemory({ keyPrefix: 'lc:rl:ev', points: tuning.eventsPerSecond, duration: 1 });
  // Challenges cost a store write each: a socket gets a few login attempts a minute, not thousands.
  const loginLimiter = new RateLimiterMemory({ keyPrefix: 'lc:rl:login', points: tuning.loginsPerMinute, duration: 60 });

  const audience = options.audience
    ?? (config.PUBLIC_URL ? new URL(config.PUBLIC_URL).origin : `http://${config.HOST}:${config.PORT}`);
  const timers = new Map<string, NodeJS.Timeout>();
  const inflight = new Set<Promise<unknown>>();
  const ctx: Ctx = {
    config, tuning, store, io, logger, metrics,
    auth: new Auth(store, config.SESSION_SECRET, audience, tuning.sessionTtlSeconds),
    records: new Records(store, config.MASTER_KEYS),
    payments: options.chain ? new Payments(options.chain) : null,
    sfu: options.sfu ?? null,
    limiters: { chat: chatLimiter, events: eventLimiter, logins: loginLimiter },
    timers,
    localModels: new Map(),
    localShows: new Map(),
    closing: false,
    later(name, ms, fn) {
      if (ctx.closing) return;
      const old = timers.get(name);
      if (old) clearTimeout(old);
      const t = setTimeout(() => {
        if (timers.get(name) === t) timers.delete(name);
        if (ctx.closing) return;
        ctx.track(Promise.resolve().then(fn).catch((err: unknown) => logger.error({ err, timer: name.split(':')[0] }, 'timer failed')));
      }, ms);
      timers.set(name, t);
    },
    track(work) {
      // Work still running when close() starts is awaited before the store and Redis go away.
      inflight.add(work);
      void work.finally(() => inflight.delete(work)).catch(() => undefined);
    },
    cancel(name) {
      const t = timers.get(name);
      if (t) clearTimeout(t);
      timers.delete(name);
    },
  };

  const handlers: Handlers = {
    ...sessionHandlers(ctx), ...showHandlers(ctx), ...chatHandlers(ctx), ...privateHandlers(ctx), ...accountHandlers(ctx),
  };

  // --- connection limits ----------------------------------------------------
  const salt = randomBytes(32);
  const perAddress = new Map<string, number>();
  io.use((socket, next) => {
    if (ctx.closing) return next(new Error('server closing'));
    const auth = socket.handshake.auth as { v?: unknown } | undefined;
    if (auth?.v !== undefined && auth.v !== PROTOCOL_VERSION) return next(new Error('unsupported protocol version'));
    if (tuning.maxConnectionsPerAddress > 0) {
      const hash = createHmac('sha256', salt).update(socket.handshake.address).digest('base64url').slice(0, 22);
      const n = perAddress.get(hash) ?? 0;
      if (n >= tuning.maxConnectionsPerAddress) {
        metrics.connectionsRefused.inc({ reason: 'address' });
        return next(new Error('too many connections'));
      }
      perAddress.set(hash, n + 1);
      (socket as Sock).data.addressHash = hash;
    }
    next();
  });

  // --- dispatch -----------------------------------------------------------------
  function parse<E extends ClientEvent>(event: E, payload: unknown): Parsed<E> {
    const parsed = schemas[event].safeParse(payload);
    if (!parsed.success) throw new SignalingError('BAD_REQUEST', describeIssue(parsed.error));
    return parsed.data as Parsed<E>;
  }

  async function dispatch<E extends ClientEvent>(socket: Sock, event: E, args: unknown[]): Promise<void> {
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as (res: unknown) => void) : null;
    const reply = (res: unknown) => { if (ack) ack(res); };
    const started = performance.now();
    let result = 'ok';
    try {
      try {
        await eventLimiter.consume(socket.id);
      } catch {
        metrics.rateLimited.inc({ limit: 'events' });
        throw new SignalingError('RATE_LIMITED', 'too many events');
      }
      if (event.startsWith('session:') && event !== 'session:logout') {
        try {
          await loginLimiter.consume(socket.id);
        } catch {
          metrics.rateLimited.inc({ limit: 'logins' });
          throw new SignalingError('RATE_LIMITED', 'too many login attempts; wait a minute');
        }
      }
      if (!ack) throw new SignalingError('BAD_REQUEST', 'expected an acknowledgement callback');
      if (args.length !== 2) throw new SignalingError('BAD_REQUEST', 'expected one payload object and an ack');
      const spec = handlers[event] as HandlerSpec<E> | undefined;
      if (!spec) throw new SignalingError('BAD_REQUEST', 'unknown event');
      let data: object;
      if (spec.access === 'none') {
        data = await spec.handle(socket, parse(event, args[0]));
      } else {
        if (!isAuthed(socket)) throw new SignalingError('UNAUTHENTICATED', 'log in first');
        if (socket.data.expiresAt <= Date.now()) throw new SignalingError('SESSION_EXPIRED', 'session expired: resume with a fresh token');
        if (spec.access !== 'any' && socket.data.role !== spec.access) throw new SignalingError('FORBIDDEN', `only a ${spec.access} may do this`);
        data = await spec.handle(socket, parse(event, args[0]));
      }
      reply({ ok: true, ...data });
    } catch (err) {
      const { error, log } = answerFor(err);
      if (log) logger[log]({ err, event, who: socket.data.pseudonym }, 'handler failed');
      result = error.code;
      reply({ ok: false, error });
    } finally {
      metrics.events.inc({ event, result });
      metrics.eventSeconds.observe({ event }, (performance.now() - started) / 1000);
    }
  }

  io.on('connection', (socket: Sock) => {
    socket.data.shows ??= new Set();
    metrics.connections.inc();
    for (const event of CLIENT_EVENTS) {
      socket.on(event, ((...args: unknown[]) => { ctx.track(dispatch(socket, event, args)); }) as never);
    }
    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (typeof event === 'string' && (CLIENT_EVENTS as string[]).includes(event)) return;
      const last = args[args.length - 1];
      if (typeof last === 'function') (last as (r: unknown) => void)({ ok: false, error: { code: 'BAD_REQUEST', message: 'unknown event' } });
    });
    socket.on('disconnect', () => {
      metrics.connections.dec();
      const hash = socket.data.addressHash;
      if (hash) {
        const n = (perAddress.get(hash) ?? 1) - 1;
        if (n <= 0) perAddress.delete(hash);
        else perAddress.set(hash, n);
      }
      if (ctx.closing) return;
      ctx.track(onDisconnect(socket).catch((err: unknown) => logger.error({ err }, 'disconnect cleanup failed')));
    });
  });

  async function onDisconnect(socket: Sock): Promise<void> {
    if (!isAuthed(socket)) return;
    const key = socket.data.key;
    for (const showId of [...socket.data.shows]) await leaveShowAfterDisconnect(socket, showId);
    const stillHere = (await io.in(rooms.identity(key)).local.fetchSockets()).length > 0;
    if (socket.data.role === 'model') {
      const local = ctx.localModels.get(key);
      local?.delete(socket.id);
      if (local && local.size === 0) {
        ctx.localModels.delete(key);
        modelGone(ctx, key, socket.data.pseudonym ?? '');
      }
    }
    if (!stillHere) {
      for (const id of await store.privateSessionsOf(key)) peerGone(ctx, id, key);
    }
  }

  async function leaveShowAfterDisconnect(socket: AuthedSock, showId: string): Promise<void> {
    // The watcher may come back (resume): keep its place in `lc:watch:` but drop it from the live count.
    const key = socket.data.key;
    socket.data.shows.delete(showId);
    const others = (await io.in(rooms.identity(key)).local.fetchSockets()).some((s) => s.data.shows.has(showId));
    if (others) return;
    await store.removeViewer(showId, key);
    const show = await store.getShow(showId);
    if (show) scheduleViewerPush(ctx, showId, show.model);
  }

  // --- SFU events -------------------------------------------------------------
  const onSfuShowEnded = (showId: string, reason: string) => {
    // Only an explicit WHIP DELETE ends the show; a media drop leaves the model time to republish.
    if (reason !== 'deleted' || !ctx.localShows.has(showId)) return;
    ctx.track(endShow(ctx, showId, 'ended').catch((err: unknown) => logger.error({ err }, 'ending show after SFU event failed')));
  };
  const sfuEvents = options.sfuEvents ?? options.sfu?.events;
  sfuEvents?.on('showended', onSfuShowEnded);

  // --- HTTP -----------------------------------------------------------------------
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  app.use('/verifier', verifierRouter(ctx));
  app.use(ageUploadRouter(ctx));

  const beat = setInterval(() => {
    ctx.track(heartbeat(ctx).catch((err: unknown) => logger.warn({ err }, 'heartbeat failed')));
  }, tuning.heartbeatMs);
  beat.unref();

  let closed: Promise<void> | null = null;
  const server: SignalingServer = {
    config, app, httpServer, io, registry: metrics.registry, store, records: ctx.records,
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
        ctx.closing = true;
        clearInterval(beat);
        sfuEvents?.off('showended', onSfuShowEnded);
        for (const t of timers.values()) clearTimeout(t);
        timers.clear();
        io.local.disconnectSockets(true);
        const drained = Promise.allSettled([...inflight]);
        await Promise.race([drained, new Promise((r) => setTimeout(r, 5_000).unref())]);
        await new Promise<void>((resolve) => io.close(() => resolve()));
        if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
        httpServer.closeAllConnections?.();
        await store.close();
        for (const c of redisClients) await c.close().catch(() => c.destroy());
      })();
      return closed;
    },
  };
  return server;
}

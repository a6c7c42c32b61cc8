/**
 * Rate limits that a reconnect does not reset. A logged-in socket's events count
 * against its identity (every socket of that key, on every process: with Redis
 * the counters live there, keyed by the pseudonymous key); events of sockets not
 * logged in, login attempts and the HTTP API count against the connecting address.
 *
 * Privacy choice: an address never leaves this process. It is turned into a
 * salted HMAC (salt random per process, never stored) and only that hash is
 * counted, in this process's memory, never in Redis and never in a log. So with
 * several processes an address gets each process's budget: the per-address
 * limits are sized for that, and the identity limits are the shared ones.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type express from 'express';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { isAuthed, type HandlerLimits, type Sock, type Tuning } from './context.ts';
import { fail } from './errors.ts';
import { sendError } from './http-errors.ts';
import type { RedisClient } from './kv-redis.ts';
import type { SignalingMetrics } from './metrics.ts';

export interface RateLimitsOptions {
  /** The budgets (context.ts Tuning: eventsPerSecond, eventBurstSeconds, and the per-address ones, each 0 for none). */
  tuning: Tuning;
  /** Redis shared by every signaling process, for the per-identity counters; null keeps them in this process. */
  redis: RedisClient | null;
  metrics: SignalingMetrics;
  /** The client's address of a connection or request (client-address.ts: a trusted proxy's header, else the peer). */
  addressOf?: (remote: string | undefined, headers: Record<string, string | string[] | undefined>) => string | null;
}

/** A consume that says whether the limit was hit (never without a limiter); a store fault (Redis down without insurance) is not a hit. */
async function withinLimit(limiter: RateLimiterAbstract | null, key: string): Promise<RateLimiterRes | null> {
  if (!limiter) return null;
  try {
    await limiter.consume(key);
    return null;
  } catch (err) {
    if (err instanceof RateLimiterRes) return err;
    throw err;
  }
}

export class RateLimits implements HandlerLimits {
  #metrics: SignalingMetrics;
  #salt = randomBytes(32);
  #identityEvents: RateLimiterAbstract;
  #addressEvents: RateLimiterAbstract | null;
  #logins: RateLimiterAbstract | null;
  #http: RateLimiterAbstract | null;
  #ageDocuments: RateLimiterAbstract | null;
  #resolve: NonNullable<RateLimitsOptions['addressOf']>;

  constructor(options: RateLimitsOptions) {
    const { tuning, redis } = options;
    this.#metrics = options.metrics;
    this.#resolve = options.addressOf ?? ((remote) => remote ?? null);
    const burst = tuning.eventBurstSeconds;
    const identity = { keyPrefix: 'lc:rl:ev', points: Math.max(1, Math.round(tuning.eventsPerSecond * burst)), duration: burst };
    // While Redis is away the identity limit holds per process (the insurance), instead of failing every event.
    this.#identityEvents = redis
      ? new RateLimiterRedis({ ...identity, storeClient: redis, useRedisPackage: true, insuranceLimiter: new RateLimiterMemory(identity) })
      : new RateLimiterMemory(identity);
    const perAddress = (points: number, duration: number) => (points > 0 ? new RateLimiterMemory({ points: Math.max(1, Math.round(points)), duration }) : null);
    this.#addressEvents = perAddress(tuning.anonymousEventsPerSecond * burst, burst);
    // Challenges cost a store write each: an address gets a few dozen login attempts a minute, not thousands.
    this.#logins = perAddress(tuning.loginsPerMinute, 60);
    this.#http = perAddress(tuning.httpRequestsPerMinute, 60);
    // Each document is up to 8 MiB kept a week: free identities from one address must not fill the verifier's queue.
    this.#ageDocuments = perAddress(tuning.ageDocumentsPerAddressPerHour, 3600);
  }

  /** The in-memory stand-in for a connecting address (never the address itself). */
  addressHash(address: string): string {
    return createHmac('sha256', this.#salt).update(address).digest('base64url').slice(0, 22);
  }

  /**
   * The hash a socket is counted under, from the client's address (behind a trusted proxy, the one its header
   * names; else every client would share the proxy's budget). Kept on the socket; the address is not.
   */
  socketHash(socket: Sock): string {
    socket.data.addressHash ??= this.addressHash(this.#resolve(socket.handshake.address, socket.handshake.headers) ?? socket.handshake.address);
    return socket.data.addressHash;
  }

  /** The hash an HTTP request is counted under (see socketHash). */
  requestHash(req: { socket: { remoteAddress?: string }; headers: Record<string, string | string[] | undefined> }): string {
    return this.addressHash(this.#resolve(req.socket.remoteAddress, req.headers) ?? req.socket.remoteAddress ?? '');
  }

  /** Counts one event of `socket`: against its identity once logged in, else against its address; RATE_LIMITED past it. */
  async event(socket: Sock): Promise<void> {
    const hit = isAuthed(socket)
      ? await withinLimit(this.#identityEvents, socket.data.key)
      : await withinLimit(this.#addressEvents, this.socketHash(socket));
    if (hit) {
      this.#metrics.rateLimited.inc({ limit: 'events' });
      fail('RATE_LIMITED', 'too many events');
    }
  }

  /** Counts one login attempt (challenge, login, resume) against the socket's address; RATE_LIMITED past it. */
  async login(socket: Sock): Promise<void> {
    if (await withinLimit(this.#logins, this.socketHash(socket))) {
      this.#metrics.rateLimited.inc({ limit: 'logins' });
      fail('RATE_LIMITED', 'too many login attempts; wait a minute');
    }
  }

  /** Counts one sealed age document from a socket or an HTTP request, by its client's address; RATE_LIMITED past it. */
  async ageDocument(from: Sock | express.Request): Promise<void> {
    const hash = 'handshake' in from ? this.socketHash(from) : this.requestHash(from);
    if (await withinLimit(this.#ageDocuments, hash)) {
      this.#metrics.rateLimited.inc({ limit: 'age-documents' });
      fail('RATE_LIMITED', 'too many age documents from this network; try again in an hour');
    }
  }

  /** Express middleware: requests per connecting address; past the budget `429` RATE_LIMITED with Retry-After. */
  http(): express.RequestHandler {
    return (req, res, next) => {
      withinLimit(this.#http, this.requestHash(req)).then((hit) => {
        if (!hit) return next();
        this.#metrics.rateLimited.inc({ limit: 'http' });
        res.set('retry-after', String(Math.max(1, Math.ceil(hit.msBeforeNext / 1000))));
        sendError(res, 'RATE_LIMITED', 'too many requests; try again later');
      }, next);
    };
  }
}

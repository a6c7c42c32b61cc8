/**
 * Shared helpers of the signaling tests: a real redis-server on a free
 * loopback port, a signaling server with short timings, and logged-in
 * socket.io clients with fresh identities.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { io as connect, type Socket } from 'socket.io-client';
import pino from 'pino';
import { createIdentity, type Identity } from '../../crypto/identity.ts';
import { signChallenge } from '../../crypto/login.ts';
import { loadConfig, type Config } from '../../signaling/config.ts';
import { createSignalingServer, type SignalingOptions, type SignalingServer } from '../../signaling/server.ts';
import type { Ack, ClientToServer, Replies, ServerToClient, ClientEvent, Role } from '../../signaling/protocol.ts';
import type { Tuning } from '../../signaling/context.ts';
import type { SfuLink } from '../../signaling/follow-sfu.ts';
import { TypedEmitter } from '../../sfu/emitter.ts';
import type { SfuEngineEvents } from '../../sfu/engine.ts';

export type ClientSocket = Socket<ServerToClient, ClientToServer>;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface RedisHandle { url: string; port: number; stop(): Promise<void> }

/** Starts `redis-server` without persistence on a free loopback port. */
export async function startRedis(): Promise<RedisHandle> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start')), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('Ready to accept connections')) { clearTimeout(timer); resolve(); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited ${code}`)); });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** Short enough to test every timeout, long enough for a loaded 2-core CI machine. */
export const FAST_TUNING: Partial<Tuning> = {
  heartbeatMs: 1_000,
  presenceTtlMs: 10_000,
  modelGraceMs: 2_000,
  privateRequestTimeoutMs: 3_000,
  voucherGraceMs: 3_000,
  peerDisconnectGraceMs: 2_000,
  viewerPushMs: 50,
  eventsPerSecond: 1_000,
  // Every test client connects from 127.0.0.1: the per-address budgets are tested on their own (limits.test.ts).
  anonymousEventsPerSecond: 100_000,
  loginsPerMinute: 100_000,
  ageDocumentsPerAddressPerHour: 100_000,
};

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent',
    SESSION_SECRET: randomBytes(32).toString('base64'),
    MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    TURN_URLS: 'turn:127.0.0.1:3478', TURN_SECRET: 'test-turn-secret-0123456789',
    ...env,
  });
}

/**
 * The SFU as signaling sees it, driven by the test: signaling tests carry no
 * media, so the test says when a publisher's media arrives (`showstarted`),
 * how many viewers the engine feeds (`viewercount`) and when media drops
 * (`showended`), as an engine would. Like the engine, closing a show with
 * media reports it ended (`deleted`).
 */
export class TestSfu implements SfuLink {
  readonly events = new TypedEmitter<SfuEngineEvents>();
  /** Shows signaling asked to close, in order. */
  readonly closed: string[] = [];
  readonly #live = new Set<string>();

  start(showId: string): void {
    this.#live.add(showId);
    this.events.emit('showstarted', showId);
  }

  drop(showId: string, reason: 'deleted' | 'disconnected' | 'replaced' = 'disconnected'): void {
    if (this.#live.delete(showId)) this.events.emit('showended', showId, reason);
  }

  async closeShow(showId: string): Promise<void> {
    this.closed.push(showId);
    this.drop(showId, 'deleted');
  }
}

export interface Running { server: SignalingServer; url: string; port: number; sfu: TestSfu | null }

/** Starts a server following a `TestSfu` (`run.sfu`) unless `sfu` names another (or `null`: none). */
export async function startServer(opts: Omit<Partial<SignalingOptions>, 'sfu'> & { sfu?: SignalingOptions['sfu'] | null; env?: Record<string, string>; config?: Config } = {}): Promise<Running> {
  const config = opts.config ?? testConfig(opts.env);
  const testSfu = opts.sfu === undefined ? new TestSfu() : null;
  const server = await createSignalingServer({
    logger: pino({ level: 'silent' }),
    ...opts,
    sfu: testSfu ?? opts.sfu ?? undefined,
    config,
    tuning: { ...FAST_TUNING, ...opts.tuning },
  });
  const port = await server.listen(0, '127.0.0.1');
  return { server, port, url: `http://127.0.0.1:${port}`, sfu: testSfu };
}

/** The publisher's media reaches the SFU of `run`: resolves once the model's own directory entry says public. */
export async function mediaArrives(run: Running, model: User, showId: string): Promise<void> {
  if (!run.sfu) throw new Error('this server follows no TestSfu');
  const live = next(model.socket, 'directory:update', (e) => e.key === model.key && e.status === 'public' && e.showId === showId);
  run.sfu.start(showId);
  await live;
}

/** Starts a server (on a fresh Redis when `withRedis`) before a suite and stops both after it. */
export function serverForSuite(t: { before(fn: () => Promise<void>): void; after(fn: () => Promise<void>): void }, withRedis: boolean): { readonly run: Running } {
  let run: Running | undefined;
  let redis: RedisHandle | null = null;
  t.before(async () => {
    if (withRedis) redis = await startRedis();
    run = await startServer({ env: redis ? { REDIS_URL: redis.url } : {} });
  });
  t.after(async () => {
    await run?.server.close();
    await redis?.stop();
  });
  return { get run() { return run!; } };
}

export function client(url: string): ClientSocket {
  return connect(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { v: 1 } });
}

export function connected(s: ClientSocket): Promise<void> {
  if (s.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('connect_error', reject);
  });
}

/** Emits an event and resolves with its ack (never rejects: the ack says ok or error). */
export function call<E extends ClientEvent>(s: ClientSocket, event: E, payload: unknown): Promise<Ack<Replies[E]>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for ${event}`)), 10_000);
    (s.emit as (e: string, p: unknown, cb: (r: Ack<Replies[E]>) => void) => void)(event, payload, (res) => {
      clearTimeout(timer);
      resolve(res);
    });
  });
}

/** Like `call` but throws unless ok. */
export async function ok<E extends ClientEvent>(s: ClientSocket, event: E, payload: unknown): Promise<{ ok: true } & Replies[E]> {
  const res = await call(s, event, payload);
  if (!res.ok) throw new Error(`${event} failed: ${res.error.code} ${res.error.message}`);
  return res;
}

/** Next occurrence of a server push (optionally matching). */
export function next<E extends keyof ServerToClient>(s: ClientSocket, event: E, match: (arg: Parameters<ServerToClient[E]>[0]) => boolean = () => true, timeoutMs = 10_000): Promise<Parameters<ServerToClient[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { s.off(event, handler as never); reject(new Error(`no ${event} within ${timeoutMs} ms`)); }, timeoutMs);
    const handler = (arg: Parameters<ServerToClient[E]>[0]) => {
      if (!match(arg)) return;
      clearTimeout(timer);
      s.off(event, handler as never);
      resolve(arg);
    };
    s.on(event, handler as never);
  });
}

/** True when no matching push arrives within `ms`. */
export function none<E extends keyof ServerToClient>(s: ClientSocket, event: E, ms: number, match: (arg: Parameters<ServerToClient[E]>[0]) => boolean = () => true): Promise<boolean> {
  return next(s, event, match, ms).then(() => false, () => true);
}

export interface User { identity: Identity; socket: ClientSocket; token: string; pseudonym: string; key: string }

/** Connects and logs in a fresh (or given) identity. */
export async function login(url: string, role: Role, identity?: Identity): Promise<User> {
  const id = identity ?? await createIdentity();
  const socket = client(url);
  await connected(socket);
  const { challenge } = await ok(socket, 'session:challenge', {});
  const { signature } = await signChallenge(id, JSON.parse(challenge));
  const res = await ok(socket, 'session:login', { publicKey: id.publicKey, challenge, signature, role });
  return { identity: id, socket, token: res.token, pseudonym: res.pseudonym, key: res.key };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `fn` returns truthy. */
export async function until<T>(fn: () => Promise<T> | T, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

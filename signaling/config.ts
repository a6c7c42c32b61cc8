/**
 * Configuration from environment variables, validated once at start.
 *
 * Every variable has a safe embedded default for the one-machine demo
 * (`npm start` with nothing set): in-memory store, in-process chain, random
 * secrets. A bad value is a `ConfigError` naming the variable and what was
 * expected; `main.ts` turns it into exit code 2.
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { isIP } from 'node:net';
import { z } from 'zod';
import { PlatformError } from '../crypto/errors.ts';
import { DEFAULT_GRACE_MS, DEFAULT_MINUTE_MS } from '../contracts/metering.ts';

export class ConfigError extends PlatformError<'CONFIG_INVALID'> {
  /** The environment variable that was rejected. */
  readonly variable: string;
  constructor(variable: string, expected: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', `${variable}: ${expected}`, options);
    this.variable = variable;
  }
}

const port = (fallback: number) =>
  z.coerce.number({ error: 'expected a port number' }).int('expected a whole number')
    .min(0, 'expected a port from 0 to 65535').max(65535, 'expected a port from 0 to 65535').default(fallback);

const secret = (minBytes: number) =>
  z.string().refine((s) => Buffer.from(s, 'base64').length >= minBytes && /^[A-Za-z0-9+/_-]+={0,2}$/.test(s), {
    message: `expected at least ${minBytes} random bytes in base64`,
  });

const url = (protocols: string[]) =>
  z.string().refine((s) => {
    try { return protocols.includes(new URL(s).protocol); } catch { return false; }
  }, { message: `expected a URL (${protocols.join(' or ')})` });

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed 20-byte hex address');

const hostname = z.string().min(1, 'expected a host name or IP address')
  .regex(/^[A-Za-z0-9.:\-[\]]+$/, 'expected a host name or IP address');

const list = <T extends z.ZodType<unknown, string>>(item: T) =>
  z.string().transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x !== '')).pipe(z.array(item));

const origin = z.string().refine((s) => {
  try { const u = new URL(s); return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === s; } catch { return false; }
}, { message: 'expected web origins like https://cam.example (scheme, host, optional port; no path)' });

/** The one-machine demo binds loopback only: nobody else can reach it, so it may run without a verifier. */
const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|\[::1\]|localhost)$/;

/** An IP address or a CIDR range (`10.0.0.0/8`, `fd00::/8`). */
const addressOrRange = z.string().refine((s) => {
  const [net, prefix, extra] = s.split('/');
  const family = isIP(net ?? '');
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}, { message: 'expected IP addresses or CIDR ranges (10.0.0.0/8, fd00::/8), comma-separated' });

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** The schema of every variable the platform reads. Keys are the variable names. */
const schema = z.object({
  /** Interface the HTTP server binds to. */
  HOST: hostname.default('127.0.0.1'),
  /** Port of the HTTP server (signaling, client, WHIP/WHEP); 0 picks a free one. */
  PORT: port(8080),
  /** Externally visible base URL, used in WHIP/WHEP `Location` and printed at start. */
  PUBLIC_URL: url(['http:', 'https:']).optional(),
  /** Minimum level of the structured logs. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  /** JSON-RPC URL of an EVM chain; empty starts the embedded local chain. */
  RPC_URL: url(['http:', 'https:', 'ws:', 'wss:']).optional(),
  /** Port on HOST where the embedded chain serves JSON-RPC to browser wallets; 0 picks a free one. */
  CHAIN_PORT: port(8545),
  /** LiveToken address on RPC_URL (required with RPC_URL). */
  LIVE_TOKEN_ADDRESS: address.optional(),
  /** LiveChannels address on RPC_URL (required with RPC_URL). */
  LIVE_CHANNELS_ADDRESS: address.optional(),
  /** Platform fee in basis points used when the embedded chain deploys LiveChannels (contract caps it at 1000). */
  PLATFORM_FEE_BPS: z.coerce.number({ error: 'expected basis points' }).int('expected a whole number')
    .min(0, 'expected 0 to 1000 basis points').max(1000, 'expected 0 to 1000 basis points').default(250),
  /** Challenge period of a sender-requested close, used when the embedded chain deploys LiveChannels. */
  CHALLENGE_PERIOD_SECONDS: z.coerce.number({ error: 'expected seconds' }).int('expected a whole number')
    .min(60, 'expected at least 60 seconds').max(30 * 86400, 'expected at most 30 days').default(86400),

  /** Redis URL shared by several signaling nodes; empty uses the in-memory store. */
  REDIS_URL: url(['redis:', 'rediss:']).optional(),

  /** TURN server URLs given to private-show peers, comma-separated (turn: or turns:). */
  TURN_URLS: list(url(['turn:', 'turns:'])).default([]),
  /** Shared secret of the TURN REST API (coturn `static-auth-secret`). */
  TURN_SECRET: z.string().min(16, 'expected at least 16 characters').optional(),
  /** Lifetime of per-session TURN credentials. */
  TURN_TTL_SECONDS: z.coerce.number({ error: 'expected seconds' }).int('expected a whole number')
    .min(60, 'expected at least 60 seconds').max(86400, 'expected at most 86400 seconds').default(3600),

  /** How late a private show's prepaid minute's voucher may be before the call ends (the one grace period). */
  PRIVATE_VOUCHER_GRACE_SECONDS: z.coerce.number({ error: 'expected seconds' }).int('expected a whole number')
    .min(1, 'expected 1 to 59 seconds').max(59, 'expected 1 to 59 seconds').default(DEFAULT_GRACE_MS / 1000),
  /** Length of a billed private minute in ms: for tests only (a shorter minute); production keeps 60000. */
  PRIVATE_MINUTE_MS: z.coerce.number({ error: 'expected milliseconds' }).int('expected a whole number')
    .min(1000, 'expected 1000 to 60000 ms').max(DEFAULT_MINUTE_MS, 'expected 1000 to 60000 ms').default(DEFAULT_MINUTE_MS),

  /** Number of SFU worker processes; 0 means one per core. */
  SFU_WORKERS: z.coerce.number({ error: 'expected a count' }).int('expected a whole number')
    .min(0, 'expected 0 to 64').max(64, 'expected 0 to 64').default(0),
  /** The SFU's native SRTP and fan-out addon (sfu/native): off forces the TypeScript path. */
  SFU_NATIVE: z.enum(['on', 'off'], { error: "expected 'on' or 'off'" }).default('on'),
  /** IP address the SFU announces in its ICE candidates. */
  SFU_ANNOUNCED_IP: z.union([z.ipv4(), z.ipv6()], { error: 'expected an IPv4 or IPv6 address' }).optional(),

  /** Secret (base64, >= 32 bytes) that signs session and WHIP/WHEP tokens; random when unset. */
  SESSION_SECRET: secret(32).optional(),
  /** Master keys that wrap per-user data keys: `id:base64key,...`, the first one wraps new keys; random when unset. */
  MASTER_KEYS: z.string().regex(/^([A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/_-]{43}=?)(,[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/_-]{43}=?)*$/,
    'expected id:base64 pairs of 32-byte keys, comma-separated').optional(),
  /** Ed25519 public keys (base64url) of trusted age verifiers, comma-separated. */
  VERIFIER_PUBLIC_KEYS: list(z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'expected base64url Ed25519 public keys')).default([]),
  /** `required`: only models with a verifier's attestation go live; `off`: demo only. */
  AGE_VERIFICATION: z.enum(['required', 'off']).optional(),
  /** Longest time a sealed age document waits for the verifier before it is deleted unread. */
  AGE_DOCUMENT_TTL_HOURS: z.coerce.number({ error: 'expected hours' }).int('expected a whole number')
    .min(1, 'expected 1 to 2160 hours').max(2160, 'expected 1 to 2160 hours').default(168),
  /** Models must verify again after this many days; 0 keeps an attestation valid until revoked. */
  AGE_ATTESTATION_MAX_AGE_DAYS: z.coerce.number({ error: 'expected days' }).int('expected a whole number')
    .min(0, 'expected 0 to 3650 days').max(3650, 'expected 0 to 3650 days').default(0),
  /** Serve the prebuilt client from client/dist (false when a separate web server serves it). */
  SERVE_CLIENT: bool.default(true),

  /** Shortest LiveChannels challenge period the platform runs on: its watcher needs that long to settle a closing channel. */
  MIN_CHALLENGE_PERIOD_SECONDS: z.coerce.number({ error: 'expected seconds' }).int('expected a whole number')
    .min(60, 'expected at least 60 seconds').max(30 * 86400, 'expected at most 30 days').default(3600),
  /** Private key (0x + 64 hex) of the wallet that pays the gas of the settlement watcher's settleFor; a dev account on the embedded chain. */
  WATCHER_PRIVATE_KEY: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 0x-prefixed 32-byte hex private key').optional(),
  /** How often the directory's ranking reads new blocks (contracts/RATING.md). */
  RATING_REFRESH_SECONDS: z.coerce.number({ error: 'expected seconds' }).int('expected a whole number')
    .min(1, 'expected 1 to 3600 seconds').max(3600, 'expected 1 to 3600 seconds').default(30),
  /** How often the settlement watcher polls the chain for close requests. */
  WATCHER_POLL_SECONDS: z.coerce.number({ error: 'expected seconds' }).int('expected a whole number')
    .min(1, 'expected 1 to 600 seconds').max(600, 'expected 1 to 600 seconds').default(5),

  // SFU ingest health and join admission (issue 14).
  /** No packet from a publisher for this long marks its show stalled: off the directory, viewers and model told. */
  SFU_STALL_SECONDS: z.coerce.number({ error: 'expected seconds' }).int('expected a whole number')
    .min(1, 'expected 1 to 60 seconds').max(60, 'expected 1 to 60 seconds').default(3),
  /** A stalled show whose media does not come back within this long ends. */
  SFU_STALL_END_SECONDS: z.coerce.number({ error: 'expected seconds' }).int('expected a whole number')
    .min(5, 'expected 5 to 600 seconds').max(600, 'expected 5 to 600 seconds').default(30),
  /** Percent of one core an SFU worker may use and still admit viewer joins; above it (or with its event loop lagging) WHEP answers 503 with Retry-After. */
  SFU_JOIN_CPU_PERCENT: z.coerce.number({ error: 'expected a percentage' }).int('expected a whole number')
    .min(10, 'expected 10 to 100 percent').max(100, 'expected 10 to 100 percent').default(80),
  // SFU hosts of a cluster (issue 15): sfu/registry.ts, signaling/sfu-hosts.ts, signaling/sfu-main.ts.
  /** `embedded`: this process runs the SFU (npm start); `remote`: shows go to SFU hosts registered in Redis (needs REDIS_URL). */
  SFU_MODE: z.enum(['embedded', 'remote'], { error: "expected 'embedded' or 'remote'" }).default('embedded'),
  /** This SFU host's id in the cluster (npm run sfu): letters, digits, - and _, unique per host. */
  SFU_HOST_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected letters, digits, - and _ (at most 64)').default('local'),
  /** Base URL clients reach this SFU host's WHIP/WHEP at (absolute URLs given to clients, `Location`); default PUBLIC_URL, else http://HOST:PORT. */
  SFU_PUBLIC_URL: url(['http:', 'https:']).optional(),
  /** Viewers one SFU worker should serve: a host's budget is workers x this; beyond it viewers go to an edge host. */
  SFU_VIEWERS_PER_WORKER: z.coerce.number({ error: 'expected a count' }).int('expected a whole number')
    .min(1, 'expected 1 to 100000').max(100_000, 'expected 1 to 100000').default(400),
  /** How long a stopping SFU host (SIGTERM) waits for its viewers and publishers to move before it exits. */
  SFU_DRAIN_SECONDS: z.coerce.number({ error: 'expected seconds' }).int('expected a whole number')
    .min(1, 'expected 1 to 3600 seconds').max(3600, 'expected 1 to 3600 seconds').default(30),
  /** More web origins (comma-separated, e.g. `https://cam.example`) whose pages may log in, besides PUBLIC_URL's (or http://HOST:PORT). */
  LOGIN_ORIGINS: list(origin).default([]),
  /** Bearer token that `/metrics` asks for; unset: `/metrics` answers loopback clients only. */
  METRICS_TOKEN: z.string().regex(/^[\x21-\x7e]{16,256}$/, 'expected 16 to 256 printable characters without spaces').optional(),
  /** Sockets at once from one connecting address (kept as a salted hash, in memory only); 0 turns the limit off. */
  MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number({ error: 'expected a count' }).int('expected a whole number')
    .min(0, 'expected 0 to 100000').max(100_000, 'expected 0 to 100000').default(256),
  /**
   * `off`: no rate limit per connecting address (events before a login, login attempts, HTTP API requests, age
   * documents), for a deployment behind a reverse proxy where every client has the proxy's address. The limits
   * per identity stay.
   */
  ADDRESS_RATE_LIMITS: z.enum(['on', 'off'], { error: "expected 'on' or 'off'" }).default('on'),
  /** Sealed age documents waiting for the verifier, in all (each identity has at most one); more are refused until the queue drains. */
  AGE_PENDING_MAX: z.coerce.number({ error: 'expected a count' }).int('expected a whole number')
    .min(1, 'expected 1 to 100000').max(100_000, 'expected 1 to 100000').default(1000),
  /** Header a trusted reverse proxy sets to the client's address (X-Forwarded-For style list); unset: the socket's own peer address is the client's. */
  TRUSTED_PROXY_HEADER: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'expected an HTTP header name such as x-forwarded-for')
    .transform((h) => h.toLowerCase())
    .refine((h) => h !== 'forwarded', 'expected an X-Forwarded-For style header (x-forwarded-for, x-real-ip): the RFC 7239 Forwarded syntax is not read').optional(),
  /** Peers (addresses or CIDR ranges) whose TRUSTED_PROXY_HEADER is believed; a header from anyone else is ignored. */
  TRUSTED_PROXIES: list(addressOrRange).default([]),
});

export type Env = z.infer<typeof schema>;

/** Validated configuration, with defaults resolved. */
export interface Config extends Omit<Env, 'SESSION_SECRET' | 'MASTER_KEYS' | 'SFU_WORKERS' | 'AGE_VERIFICATION' | 'SFU_ANNOUNCED_IP'> {
  SESSION_SECRET: Buffer;
  MASTER_KEYS: { id: string; key: Buffer }[];
  SFU_WORKERS: number;
  SFU_ANNOUNCED_IP: string;
  AGE_VERIFICATION: 'required' | 'off';
  /** True when no RPC_URL was given: the platform runs its own chain. */
  embeddedChain: boolean;
}

/** The variables `loadConfig` reads, for documentation and tests. */
export const CONFIG_VARIABLES = Object.keys(schema.shape) as (keyof Env)[];

/**
 * Validate `env` (default `process.env`). Unknown variables are ignored;
 * empty strings count as unset so `FOO= npm start` means "use the default".
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const input: Record<string, string> = {};
  for (const key of CONFIG_VARIABLES) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') input[key] = value.trim();
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    throw new ConfigError(variable, issue.message);
  }
  const e = parsed.data;
  if (e.RPC_URL && (!e.LIVE_TOKEN_ADDRESS || !e.LIVE_CHANNELS_ADDRESS)) {
    throw new ConfigError(e.LIVE_TOKEN_ADDRESS ? 'LIVE_CHANNELS_ADDRESS' : 'LIVE_TOKEN_ADDRESS',
      'expected the deployed contract address when RPC_URL is set');
  }
  if (e.TURN_URLS.length > 0 && !e.TURN_SECRET) {
    throw new ConfigError('TURN_SECRET', 'expected the TURN REST API secret when TURN_URLS is set');
  }
  if (!e.RPC_URL && e.CHALLENGE_PERIOD_SECONDS < e.MIN_CHALLENGE_PERIOD_SECONDS) {
    throw new ConfigError('CHALLENGE_PERIOD_SECONDS',
      `expected at least MIN_CHALLENGE_PERIOD_SECONDS (${e.MIN_CHALLENGE_PERIOD_SECONDS}): a shorter period leaves the watcher no time to settle a closing channel`);
  }
  if (e.PRIVATE_VOUCHER_GRACE_SECONDS * 1000 >= e.PRIVATE_MINUTE_MS) {
    throw new ConfigError('PRIVATE_VOUCHER_GRACE_SECONDS', `expected less than a billed minute (${e.PRIVATE_MINUTE_MS} ms)`);
  }
  if (e.TRUSTED_PROXY_HEADER && e.TRUSTED_PROXIES.length === 0) {
    throw new ConfigError('TRUSTED_PROXIES', 'expected the reverse proxies\' addresses when TRUSTED_PROXY_HEADER is set (a header from anyone else is forged)');
  }
  if (!e.TRUSTED_PROXY_HEADER && e.TRUSTED_PROXIES.length > 0) {
    throw new ConfigError('TRUSTED_PROXY_HEADER', 'expected the header the proxies in TRUSTED_PROXIES set (e.g. x-forwarded-for)');
  }
  if (e.SFU_MODE === 'remote' && !e.REDIS_URL) {
    throw new ConfigError('REDIS_URL', 'expected the Redis the SFU hosts register in when SFU_MODE=remote');
  }
  const demo = !e.RPC_URL && LOOPBACK.test(e.HOST);
  if (!e.AGE_VERIFICATION && e.VERIFIER_PUBLIC_KEYS.length === 0 && !demo) {
    // Fails closed: outside the one-machine demo, running without age checks is a decision someone writes down.
    throw new ConfigError('AGE_VERIFICATION',
      'expected VERIFIER_PUBLIC_KEYS (a verifier checks models\' ages), or AGE_VERIFICATION=off to run without age verification; only the one-machine demo (embedded chain, loopback HOST) defaults to off');
  }
  const ageVerification = e.AGE_VERIFICATION ?? (e.VERIFIER_PUBLIC_KEYS.length > 0 ? 'required' : 'off');
  if (ageVerification === 'required' && e.VERIFIER_PUBLIC_KEYS.length === 0) {
    throw new ConfigError('VERIFIER_PUBLIC_KEYS', 'expected at least one verifier key when AGE_VERIFICATION=required');
  }
  const masterKeys = (e.MASTER_KEYS ?? `dev:${randomBytes(32).toString('base64')}`).split(',').map((pair) => {
    const [id, key] = pair.split(':') as [string, string];
    return { id, key: Buffer.from(key, 'base64') };
  });
  if (new Set(masterKeys.map((k) => k.id)).size !== masterKeys.length) {
    throw new ConfigError('MASTER_KEYS', 'expected each key id only once');
  }
  return {
    ...e,
    SESSION_SECRET: e.SESSION_SECRET ? Buffer.from(e.SESSION_SECRET, 'base64') : randomBytes(32),
    MASTER_KEYS: masterKeys,
    SFU_WORKERS: e.SFU_WORKERS === 0 ? Math.max(1, cpus().length) : e.SFU_WORKERS,
    SFU_ANNOUNCED_IP: e.SFU_ANNOUNCED_IP ?? e.HOST,
    AGE_VERIFICATION: ageVerification,
    embeddedChain: !e.RPC_URL,
  };
}

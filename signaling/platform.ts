/**
 * The whole platform in one process tree: chain (embedded or remote), SFU
 * workers, the signaling server, WHIP/WHEP, the built client and /healthz.
 * `main.ts` is the command-line wrapper; tests start it in-process.
 */
import { existsSync } from 'node:fs';
import { createServer, isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { JsonRpcProvider, type Provider } from 'ethers';
import { startDevChain, type DevChain } from '../contracts/devchain.ts';
import { createSfu } from '../sfu/sfu.ts';
import { createSfuRouter } from '../sfu/http.ts';
import { createChainRouter } from './chain-routes.ts';
import { registerSfuMetrics } from '../sfu/metrics.ts';
import type { SfuEngine } from '../sfu/engine.ts';
import type { Config } from './config.ts';
import { createSignalingServer, type SignalingServer } from './server.ts';
import { createLogger } from './logger.ts';
import { sfuTokenKey } from './sfu-token-key.ts';
import { type SettlementWatcher, checkChallengePeriodFloor, startSettlementWatcher } from './settlement-watcher.ts';
import { TurnServer, TurnServerError } from './turn-server.ts';
import { randomBytes } from 'node:crypto';
import { connectRedis } from './kv-redis.ts';
import { RemoteSfu } from './remote-sfu.ts';
import { RedisSfuHosts } from './sfu-hosts.ts';
import { staticClient } from './static-client.ts';

const clientDist = fileURLToPath(new URL('../client/dist/', import.meta.url));

export interface ChainConnection {
  provider: Provider;
  addresses: { token: string; channels: string };
  chainId: number;
  rpcUrl: string;
}

export interface Platform {
  /** Base URL of the web app, WHIP/WHEP and signaling. */
  readonly url: string;
  readonly chain: ChainConnection;
  /** Present when the platform runs its own chain (no RPC_URL). */
  readonly devChain: DevChain | null;
  /** The embedded SFU; null with SFU_MODE=remote (shows go to the SFU hosts registered in Redis). */
  readonly sfu: SfuEngine | null;
  readonly signaling: SignalingServer;
  /** Settles closing channels' kept vouchers; null when no submitter key is configured (remote chain). */
  readonly watcher: SettlementWatcher | null;
  /** The coturn this platform started (no TURN_URLS set and `turnserver` installed), else null. */
  readonly turn: TurnServer | null;
  /** What a first-time user should read on the console. */
  banner(): string;
  /** Stops every part it started; idempotent. */
  close(): Promise<void>;
}

async function connectChain(config: Config): Promise<{ chain: ChainConnection; devChain: DevChain | null }> {
  if (config.embeddedChain) {
    const devChain = await startDevChain({
      host: config.HOST,
      port: config.CHAIN_PORT,
      platformFeeBps: config.PLATFORM_FEE_BPS,
      challengePeriodSeconds: config.CHALLENGE_PERIOD_SECONDS,
    });
    return {
      devChain,
      chain: { provider: devChain.provider, addresses: devChain.addresses, chainId: devChain.chainId, rpcUrl: devChain.rpcUrl },
    };
  }
  const rpcUrl = config.RPC_URL!;
  const probe = new JsonRpcProvider(rpcUrl, undefined, { batchMaxCount: 1, cacheTimeout: -1 });
  const network = await probe.getNetwork().finally(() => probe.destroy());
  const provider = new JsonRpcProvider(rpcUrl, network, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  const addresses = { token: config.LIVE_TOKEN_ADDRESS!, channels: config.LIVE_CHANNELS_ADDRESS! };
  for (const [name, address] of Object.entries(addresses)) {
    if ((await provider.getCode(address)) === '0x') throw new Error(`no contract at ${name} address ${address} on ${rpcUrl}`);
  }
  return { devChain: null, chain: { provider, addresses, chainId: Number(network.chainId), rpcUrl } };
}

/**
 * PORT=0 means "any free port", but login challenges are bound to the page's
 * origin, which includes the port: so the port is chosen before anything that
 * needs the origin is built.
 */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

const INSTALL_COTURN = 'install coturn (`apt-get install coturn`) and start again, or set TURN_URLS and TURN_SECRET';

/**
 * TURN for private shows: the operator's (TURN_URLS), else a coturn of our own on HOST when it is installed and
 * HOST is an IP address; otherwise none, and a note saying why (private requests then answer TURN_UNAVAILABLE).
 */
async function startTurn(config: Config): Promise<{ turn: TurnServer | null; note: string | null }> {
  if (config.TURN_URLS.length > 0) return { turn: null, note: null };
  const binary = TurnServer.findBinary();
  if (!binary) return { turn: null, note: `no TURN server: private shows are off. To turn them on, ${INSTALL_COTURN}.` };
  const host = config.HOST === 'localhost' ? '127.0.0.1' : config.HOST;
  if (isIP(host) === 0 || host === '0.0.0.0' || host === '::') {
    return { turn: null, note: `no TURN server: private shows are off. HOST=${config.HOST} is not one address to run coturn on: set TURN_URLS and TURN_SECRET.` };
  }
  try {
    return { turn: await TurnServer.start({ host, binary }), note: null };
  } catch (err) {
    // Public shows do not need TURN: the platform starts without it and says so.
    if (!(err instanceof TurnServerError)) throw err;
    return { turn: null, note: `no TURN server: private shows are off. ${err.message}; ${INSTALL_COTURN}.` };
  }
}

/** SFU_MODE=remote: the hosts registered in Redis, and their events followed (two connections of its own). */
async function followRemoteHosts(config: Config, logger: ReturnType<typeof createLogger>): Promise<{ link: RemoteSfu; hosts: RedisSfuHosts; close(): Promise<void> }> {
  const onError = (err: Error) => logger.warn({ err: err.message }, 'Redis (SFU hosts) connection error');
  const redis = await connectRedis(config.REDIS_URL!, onError);
  const reader = await connectRedis(config.REDIS_URL!, onError);
  const hosts = new RedisSfuHosts(redis);
  const link = new RemoteSfu({ redis, reader, hosts, owner: randomBytes(8).toString('hex'), logger });
  return {
    link, hosts,
    async close() {
      await link.close();
      await redis.close().catch(() => redis.destroy());
    },
  };
}

/** Start every part; on failure, stop what already started and rethrow. */
export async function startPlatform(given: Config): Promise<Platform> {
  let config = given;
  const logger = createLogger(config.LOG_LEVEL);
  const stack: (() => Promise<void>)[] = [];
  const unwind = async () => {
    for (const close of stack.splice(0).reverse()) await close().catch(() => undefined);
  };

  try {
    const port = config.PORT === 0 ? await freePort(config.HOST) : config.PORT;
    const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
    const url = config.PUBLIC_URL?.replace(/\/$/, '') ?? `http://${host}:${port}`;
    const { chain, devChain } = await connectChain(config);
    if (devChain) stack.push(() => devChain.close());
    else stack.push(async () => (chain.provider as JsonRpcProvider).destroy());
    await checkChallengePeriodFloor(chain.provider, chain.addresses, config.MIN_CHALLENGE_PERIOD_SECONDS);

    const { turn, note: turnNote } = await startTurn(config);
    if (turn) {
      stack.push(() => turn.close());
      config = { ...config, TURN_URLS: turn.urls, TURN_SECRET: turn.secret };
    }
    if (turnNote) logger.warn(turnNote);

    const media = config.SFU_MODE === 'remote' ? null : await createSfu({
      workers: config.SFU_WORKERS,
      listenIp: config.HOST,
      announcedIp: config.SFU_ANNOUNCED_IP,
      stallAfterMs: config.SFU_STALL_SECONDS * 1000, stallEndMs: config.SFU_STALL_END_SECONDS * 1000, joinCpuBudget: config.SFU_JOIN_CPU_PERCENT / 100,
    // Beyond this a show's viewers spill to the host's other workers (sfu/relay/).
    viewersPerWorker: config.SFU_VIEWERS_PER_WORKER,
    });
    if (media) stack.push(() => media.close());
    const sfu = media?.engine ?? null;
    const remote = config.SFU_MODE === 'remote' ? await followRemoteHosts(config, logger) : null;
    if (remote) stack.push(() => remote.close());

    const signaling = await createSignalingServer({
      config, chain, logger, audience: new URL(url).origin,
      ...(sfu ? { sfu } : remote ? { sfu: remote.link, sfuHosts: remote.hosts } : {}),
      tuning: {
        ageDocumentTtlMs: config.AGE_DOCUMENT_TTL_HOURS * 3_600_000,
        attestationMaxAgeSeconds: config.AGE_ATTESTATION_MAX_AGE_DAYS * 86_400,
        voucherGraceMs: config.PRIVATE_VOUCHER_GRACE_SECONDS * 1000,
        minuteMs: config.PRIVATE_MINUTE_MS,
      },
    });
    stack.push(() => signaling.close());
    // Following starts once the store exists; on close it stops before signaling does (leases handed back first).
    if (remote) {
      await remote.link.start(signaling.store);
      stack.push(() => remote.link.close());
    }
    // The SFU's per-show and per-worker gauges on the platform's /metrics.
    if (sfu) registerSfuMetrics(signaling.registry, sfu);

    // The settlement watcher: on with WATCHER_PRIVATE_KEY, or on the embedded chain with its settlement account.
    const watcher = startSettlementWatcher({
      provider: chain.provider, addresses: chain.addresses, store: signaling.store, logger,
      privateKey: config.WATCHER_PRIVATE_KEY ?? devChain?.settlementAccount.privateKey, pollMs: config.WATCHER_POLL_SECONDS * 1000,
    });
    if (watcher) stack.push(() => watcher.close());

    const app = signaling.app;
    app.get('/healthz', async (_req, res) => {
      const parts = {
        chain: await chain.provider.getBlockNumber().then(() => true, () => false),
        sfu: sfu ? !sfu.closed : (await remote!.hosts.list().catch(() => [])).length > 0,
        signaling: signaling.httpServer.listening,
      };
      const ok = Object.values(parts).every(Boolean);
      res.status(ok ? 200 : 503).json({ ok, parts });
    });
    if (sfu) app.use(createSfuRouter({ engine: sfu, secret: await sfuTokenKey(config.SESSION_SECRET), publicUrl: url }));
    app.use(createChainRouter({ chain, devChain, store: signaling.store, logger, hidesFrom: (model, req) => signaling.hidesFrom(model, req) }));
    if (config.SERVE_CLIENT) {
      if (!existsSync(clientDist)) {
        logger.warn('client/dist is missing: run `npm run build:client` (npm start does it for you)');
      }
      // WHIP/WHEP URLs are absolute, from each SFU host's public URL: the page's policy lets it reach those origins.
      const hostOrigins = async () => (sfu ? [url] : (await remote!.hosts.list()).map((h) => h.url)).map((u) => new URL(u).origin);
      app.use(staticClient({ root: clientDist, connectSources: hostOrigins }));
    }

    await signaling.listen(port, config.HOST);
    logger.info({ port }, 'platform started');

    let closing: Promise<void> | null = null;
    return {
      url,
      chain,
      devChain,
      sfu,
      signaling,
      watcher,
      turn,
      banner() {
        const lines = [
          '',
          `  LiveCam is running at ${url}`,
          '',
          `  Watch shows:  ${url}/#/`,
          `  Go live:      ${url}/#/studio   (open it in another tab or browser)`,
          `  Health:       ${url}/healthz     Metrics: ${url}/metrics`,
          `  Chain RPC:    ${chain.rpcUrl} (chain id ${chain.chainId})`,
          `  LIVE token:   ${chain.addresses.token}`,
          `  Channels:     ${chain.addresses.channels}`,
        ];
        if (devChain) {
          lines.push('', '  Demo wallets (local chain only, funded with ETH and LIVE):');
          for (const a of devChain.demoAccounts) lines.push(`    ${a.address}  key ${a.privateKey}`);
        }
        lines.push(watcher
          ? `  Settlement:   closing channels are settled from ${watcher.submitter} (watcher on)`
          : '  Settlement:   watcher OFF (set WATCHER_PRIVATE_KEY): closing channels wait for their models');
        if (turn) lines.push(`  TURN:         ${turn.urls.join(', ')} (coturn started for this run)`);
        else if (turnNote) lines.push('', `  Private shows are OFF: ${turnNote.replace(/^no TURN server: private shows are off\. /, '')}`);
        if (config.AGE_VERIFICATION === 'off') {
          lines.push('', '  Age verification is OFF (demo). Set VERIFIER_PUBLIC_KEYS to require it.');
        }
        lines.push('', '  Stop with Ctrl-C.', '');
        return lines.join('\n');
      },
      close() {
        closing ??= unwind();
        return closing;
      },
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}

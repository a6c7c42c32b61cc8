/**
 * One signaling process of the soak (tests/bench/soak.bench.ts): configured from the environment (loadConfig, as
 * `npm start` is), the chain reached over JSON-RPC, the store on the shared Redis. With `SOAK_SFU_WORKERS` > 0 it
 * also runs the SFU (worker processes) and serves WHIP/WHEP, as the platform does. Logs go to stderr as JSON at
 * warn level, where the coordinator counts errors and unhandled rejections. Talks to its parent over IPC:
 * `{ type: 'ready', port }` once listening, `{ type: 'workers', pids }` when asked. Exits 0 after SIGTERM.
 */
import { JsonRpcProvider, Network } from 'ethers';
import { loadConfig } from '../../../signaling/config.ts';
import { createLogger } from '../../../signaling/logger.ts';
import { createSignalingServer } from '../../../signaling/server.ts';
import { sfuTokenKey } from '../../../signaling/sfu-token-key.ts';
import { createSfu, type Sfu } from '../../../sfu/sfu.ts';
import { createSfuRouter } from '../../../sfu/http.ts';
import type { WorkerPool } from '../../../sfu/worker/WorkerPool.ts';

// Node's default (crash on an unhandled rejection) stays; the line lets the coordinator count it by name.
process.on('unhandledRejection', (err) => {
  console.error('SOAK_UNHANDLED_REJECTION', err);
  process.exit(1);
});

const bootAt = Date.now();
const stage = (what: string) => { if (process.env.SOAK_VERBOSE === '1') console.error(`${what} after ${Date.now() - bootAt} ms`); };
const config = loadConfig(process.env);
const rpcUrl = process.env.SOAK_RPC_URL!;
const chainId = Number(process.env.SOAK_CHAIN_ID);
const provider = new JsonRpcProvider(rpcUrl, Network.from(chainId), { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
const logger = createLogger('warn', process.stderr as never);
const workers = Number(process.env.SOAK_SFU_WORKERS ?? 0);
const sfu: Sfu | null = workers > 0 ? await createSfu({ workers, listenIp: '127.0.0.1' }) : null;
stage('sfu started');
const server = await createSignalingServer({
  config, logger,
  chain: { provider, chainId, rpcUrl, addresses: { token: process.env.SOAK_TOKEN!, channels: process.env.SOAK_CHANNELS! } },
  ...(sfu ? { sfu: sfu.engine } : {}),
  // As the platform maps them (signaling/platform.ts), then the soak's shorter timings.
  tuning: { voucherGraceMs: config.PRIVATE_VOUCHER_GRACE_SECONDS * 1000, minuteMs: config.PRIVATE_MINUTE_MS, ...JSON.parse(process.env.SOAK_TUNING ?? '{}') },
});
if (sfu) server.app.use(createSfuRouter({ engine: sfu.engine, secret: await sfuTokenKey(config.SESSION_SECRET) }));
stage('signaling created');
const port = await server.listen(config.PORT, config.HOST);
stage('listening');
process.send?.({ type: 'ready', port });

process.on('message', (m: { type?: string }) => {
  if (m.type !== 'workers') return;
  void (sfu ? sfu.engine.showStats() : Promise.resolve([])).catch(() => []).then((stats) => process.send?.({
    type: 'workers', pids: sfu ? (sfu.engine as WorkerPool).workerPids : [], shows: stats.map((s) => ({ showId: s.showId, worker: s.worker })),
  }));
});
let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  const force = setTimeout(() => process.exit(3), 10_000);
  force.unref();
  void server.close().then(() => sfu?.close()).then(() => { provider.destroy(); process.exit(0); });
});
// The coordinator went away (it crashed or was killed): do not stay behind holding ports.
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));

/**
 * `npm run bench:soak`: the platform under faults, on loopback. Two signaling processes share a real Redis (with
 * its append-only file) and the embedded chain; the first also runs the SFU (two worker processes) and WHIP/WHEP;
 * coturn hands out relays. Meanwhile a public show plays (a werift publisher, werift viewers on both processes,
 * chat), and client/model pairs run paid private sessions in a loop, metered by the browser's own CallMeter with
 * real vouchers signed by their wallets. At seeded random moments it kills the show's SFU worker, restarts Redis,
 * and kills (SIGKILL or SIGTERM) and restarts the second signaling process.
 *
 * At the end every pair stops, hands over what it could not deliver, and the model settles the best voucher it
 * can (its own, or the server's kept one from `vouchers:list`) on-chain. Then it compares, per channel, what the
 * client signed, what the model could settle, and what the chain paid (ChannelSettled events, balances).
 * Prints `name: value unit` lines; exits non-zero when a target (0 lost, 0 mismatch, 0 crashes, 0 unhandled
 * rejections) is missed.
 *
 * Env: SOAK_SECONDS (default 300, 30..86400), SOAK_SEED (default random; printed), SOAK_PAIRS (default 3),
 * SOAK_VIEWERS (default 4), SOAK_VERBOSE=1 (servers' non-log stderr). Runs inside a loopback-only network namespace
 * (re-executes itself there, as tests/run.ts does).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Wallet, parseUnits } from 'ethers';
import { startDevChain } from '../../contracts/devchain.ts';
import { connectChannels } from '../../contracts/client.ts';
import { createIdentity } from '../../crypto/identity.ts';
import { Session } from '../../client/services/session.ts';
import { startCoturn } from '../helpers/coturn.ts';
import { freePort } from '../signaling/helpers.ts';
import { Incidents } from './soak/incidents.ts';
import { SoakNode } from './soak/soak-node.ts';
import { SoakRedis } from './soak/soak-redis.ts';
import { SoakPublisher } from './soak/publisher.ts';
import { SoakViewer } from './soak/viewer.ts';
import { PrivatePair } from './soak/pair.ts';
import { Rng } from './soak/rng.ts';
import { reconcile } from './soak/ledger.ts';
import { FaultPlan } from './soak/faults.ts';

const self = fileURLToPath(import.meta.url);

function loopbackOnly(): boolean {
  const out = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  const links = out.stdout?.split('\n').filter((l) => l.trim() !== '') ?? [];
  return out.status === 0 && links.length === 1 && /\blo\b/.test(links[0] ?? '');
}

/** A whole number from the environment within [min, max], or exit 2 with a clear line. */
function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    console.error(`bench:soak: ${name}=${JSON.stringify(raw)} is not a whole number from ${min} to ${max}`);
    process.exit(2);
  }
  return Number(raw);
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const seconds = envInt('SOAK_SECONDS', 300, 30, 86_400);
  const seed = envInt('SOAK_SEED', randomInt(0, 2 ** 31), 0, 2 ** 32 - 1);
  const pairCount = envInt('SOAK_PAIRS', 3, 1, 20);
  const viewerCount = envInt('SOAK_VIEWERS', 4, 1, 50);
  console.log(`soak_seed: ${seed} seed`);
  console.log(`soak_seconds: ${seconds} s`);
  const rng = new Rng(seed);
  let benchRejections = 0;
  process.on('unhandledRejection', (err) => {
    benchRejections++;
    console.error('bench:soak: unhandled rejection in the bench', err);
  });

  const incidents = new Incidents();
  const chain = await startDevChain({ port: 0, demoAccounts: 2 * pairCount });
  const redis = new SoakRedis(await freePort(), incidents);
  await redis.start();
  const turn = await startCoturn();
  const env: Record<string, string> = {
    HOST: '127.0.0.1', LOG_LEVEL: 'warn', REDIS_URL: redis.url, AGE_VERIFICATION: 'off',
    SESSION_SECRET: randomBytes(32).toString('base64'), MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    TURN_URLS: turn.url, TURN_SECRET: turn.secret, MAX_CONNECTIONS_PER_ADDRESS: '0',
    PRIVATE_MINUTE_MS: '4000', PRIVATE_VOUCHER_GRACE_SECONDS: '2',
    SOAK_RPC_URL: chain.rpcUrl, SOAK_CHAIN_ID: String(chain.chainId), SOAK_TOKEN: chain.addresses.token, SOAK_CHANNELS: chain.addresses.channels,
    SOAK_TUNING: JSON.stringify({ privateRequestTimeoutMs: 10_000, peerDisconnectGraceMs: 10_000, chatPoints: 50 }),
  };
  const media = new SoakNode('signaling-a', await freePort(), { ...env, SOAK_SFU_WORKERS: '2' }, incidents);
  const second = new SoakNode('signaling-b', await freePort(), env, incidents);
  await Promise.all([media.start(), second.start()]);
  const nodes = [media, second];

  const sessions: Session[] = [];
  const newSession = async (role: 'client' | 'model', url: string) => {
    const identity = await createIdentity();
    const s = new Session({ role, identities: { get: async () => identity }, url, timeoutMs: 8_000 });
    sessions.push(s);
    await s.login();
    return s;
  };

  // The public show and its viewers (half of them on each signaling process; media always from the first).
  const showModel = await newSession('model', media.url);
  const publisher = new SoakPublisher(showModel, media.url);
  await publisher.start();
  const viewers: SoakViewer[] = [];
  for (let i = 0; i < viewerCount; i++) {
    const s = await newSession('client', nodes[i % 2]!.url);
    const v = new SoakViewer(s, media.url, showModel.info!.key);
    await v.start();
    viewers.push(v);
  }
  const chatTimer = setInterval(() => {
    for (const v of viewers) void v.chat(`hello ${Date.now()}`);
  }, 2_000);

  // Paid private sessions: clients and models spread over both processes.
  const price = parseUnits('1', 18);
  const pairs: PrivatePair[] = [];
  for (let i = 0; i < pairCount; i++) {
    const [c, m] = [chain.demoAccounts[2 * i]!, chain.demoAccounts[2 * i + 1]!];
    const placement = [[second, media], [media, second], [second, second]][i % 3]!;
    const pair = new PrivatePair({
      name: `pair${i}`, clientUrl: placement[0]!.url, modelUrl: placement[1]!.url,
      clientWallet: new Wallet(c.privateKey, chain.provider), modelWallet: new Wallet(m.privateKey, chain.provider),
      chainId: chain.chainId, addresses: chain.addresses, pricePerMinute: price, deposit: parseUnits('10000', 18),
      turnPort: turn.port, rng: rng.fork(),
    });
    await pair.setup();
    pairs.push(pair);
  }
  const running = pairs.map((p) => p.run());

  // Faults at seeded random moments.
  const plan = FaultPlan.random(rng.fork(), seconds * 1000);
  const started = Date.now();
  const faults = plan.run(started, { media, second, redis, showId: () => publisher.showId }, (line) => console.error(`bench:soak: ${line}`));
  await sleep(seconds * 1000);
  plan.stop();
  await faults;

  clearInterval(chatTimer);
  const phase = (what: string) => console.error(`bench:soak: ${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
  phase('stopping the load');
  // A stuck step must not hang the run: say where it was and fail.
  const watchdog = setTimeout(() => { phase('STUCK after the run; giving up'); process.exit(1); }, 180_000);
  watchdog.unref();
  // Let the last reconnects land before stopping (a fault near the end).
  const settleDeadline = Date.now() + 20_000;
  while (nodes.some((n) => !n.up) && Date.now() < settleDeadline) await sleep(200);
  await Promise.all(pairs.map((p) => p.stop(30_000)));
  phase('pairs stopped');
  await Promise.all(running);
  await Promise.all(viewers.map((v) => v.close()));
  await publisher.close();
  phase('media closed; settling');

  const ledger = await reconcile(pairs, chain);
  phase('settled');
  for (const p of pairs) p.close();
  for (const s of sessions) s.close();

  const reconnects = [...viewers.flatMap((v) => v.reconnectsMs), ...pairs.flatMap((p) => p.reconnectsMs)];
  const freezes = viewers.map((v) => v.longestFreezeMs);
  const endReasons = new Map<string, number>();
  for (const p of pairs) for (const [k, n] of p.endReasons) endReasons.set(k, (endReasons.get(k) ?? 0) + n);
  const errors = new Map<string, number>();
  for (const p of pairs) for (const [k, n] of p.errors) errors.set(k, (errors.get(k) ?? 0) + n);

  console.log(`vouchers_lost: ${ledger.vouchersLost} count`);
  console.log(`money_mismatch_wei: ${ledger.mismatchWei} wei`);
  console.log(`server_crashes: ${incidents.crashes.length} count`);
  console.log(`unhandled_rejections: ${incidents.unhandledRejections.length + benchRejections} count`);
  console.log(`media_gap_p99_ms: ${percentile(freezes, 99)} ms`);
  console.log(`reconnect_p99_ms: ${percentile(reconnects, 99)} ms`);
  console.log(`private_sessions: ${pairs.reduce((s, p) => s + p.sessions, 0)} count`);
  console.log(`minutes_paid: ${pairs.reduce((s, p) => s + p.minutesPaid, 0)} count`);
  console.log(`vouchers_signed: ${ledger.vouchersSigned} count`);
  console.log(`settled_wei: ${ledger.settledWei} wei`);
  console.log(`faults_injected: ${plan.done.length} count`);
  for (const kind of ['sfu_worker_kill', 'redis_restart', 'signaling_restart'] as const) {
    console.log(`faults_${kind}: ${plan.done.filter((f) => f.kind === kind).length} count`);
  }
  console.log(`media_gap_max_ms: ${Math.max(0, ...freezes)} ms`);
  console.log(`reconnects_measured: ${reconnects.length} count`);
  console.log(`reconnect_p50_ms: ${percentile(reconnects, 50)} ms`);
  console.log(`viewer_rejoins: ${viewers.reduce((s, v) => s + v.rejoins, 0)} count`);
  console.log(`publisher_republished: ${publisher.republished} count`);
  console.log(`chat_sent: ${viewers.reduce((s, v) => s + v.chatSent, 0)} count`);
  console.log(`chat_received: ${viewers.reduce((s, v) => s + v.chatReceived, 0)} count`);
  console.log(`turn_allocations: ${pairs.reduce((s, p) => s + p.turnAllocations, 0)} count`);
  console.log(`turn_failures: ${pairs.reduce((s, p) => s + p.turnFailures.length, 0)} count`);
  console.log(`server_errors_logged: ${[...incidents.errors.values()].reduce((a, b) => a + b, 0)} count`);
  for (const line of ledger.details) console.error(`bench:soak: ${line}`);
  for (const c of incidents.crashes) console.error(`bench:soak: crash: ${c}`);
  for (const u of incidents.unhandledRejections) console.error(`bench:soak: unhandled: ${u}`);
  for (const [k, n] of incidents.errors) console.error(`bench:soak: server error x${n}: ${k}`);
  for (const f of new Set(pairs.flatMap((p) => p.turnFailures))) console.error(`bench:soak: TURN failure: ${f}`);
  for (const [k, n] of endReasons) console.error(`bench:soak: sessions ended "${k}": ${n}`);
  for (const [k, n] of errors) console.error(`bench:soak: client saw x${n}: ${k}`);

  await Promise.all(nodes.map((n) => n.stop('SIGTERM')));
  await redis.close();
  await turn.stop();
  await chain.close();
  clearTimeout(watchdog);
  const ok = ledger.vouchersLost === 0 && ledger.mismatchWei === 0n && incidents.crashes.length === 0
    && incidents.unhandledRejections.length + benchRejections === 0;
  return ok ? 0 : 1;
}

if (!loopbackOnly() && process.env.LIVECAM_BENCH_NETNS !== '1') {
  const isRoot = process.getuid?.() === 0;
  const inner = `ip link set lo up && exec "${process.execPath}" --import tsx "${self}"`;
  const r = spawnSync('unshare', [...(isRoot ? ['-n'] : ['-rn']), 'bash', '-c', inner], { stdio: 'inherit', env: { ...process.env, LIVECAM_BENCH_NETNS: '1' } });
  if (r.error) {
    console.error(`bench:soak: cannot create a loopback-only network namespace (${r.error.message})`);
    process.exit(2);
  }
  process.exit(r.status ?? 1);
} else {
  process.exit(await main());
}

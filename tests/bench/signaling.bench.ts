/**
 * `npm run bench:signaling`: one signaling process (memory store) holding
 * many logged-in socket.io clients, and the chat fan-out of one show with
 * 1,000 viewers. Prints `name: value unit` lines:
 *   clients_connected    logged-in clients held at once by the process
 *   chat_fanout_p50_ms   / chat_fanout_p99_ms: send → receipt by each viewer
 *   rss_per_client_kib   server RSS growth per client
 *
 * Three roles in one file: the coordinator (default), `--server` (the
 * signaling process under test) and `--clients` (a load process). Load runs
 * in two processes so neither the server nor the clients share a core with
 * the coordinator's bookkeeping. Loopback only.
 * Env: BENCH_CLIENTS (default 5000), BENCH_VIEWERS (1000), BENCH_MESSAGES (60).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { io as connect, type Socket } from 'socket.io-client';
import { createIdentity } from '../../crypto/identity.ts';
import { signChallenge } from '../../crypto/login.ts';
import { loadConfig } from '../../signaling/config.ts';
import { createSignalingServer } from '../../signaling/server.ts';
import { TypedEmitter } from '../../sfu/emitter.ts';
import type { SfuEngineEvents } from '../../sfu/engine.ts';
import type { ClientToServer, ServerToClient } from '../../signaling/protocol.ts';

type Sock = Socket<ServerToClient, ClientToServer>;
const self = fileURLToPath(import.meta.url);
const now = () => performance.timeOrigin + performance.now();
/** Messages sent before measuring (JIT warm-up of both sides). */
const WARMUP = 5;

function call(s: Sock, event: string, payload: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for ${event}`)), 60_000);
    (s.emit as (...a: unknown[]) => void)(event, payload, (r: { ok: boolean; error?: { code: string } }) => {
      clearTimeout(timer);
      if (r.ok) resolve(r as Record<string, unknown>);
      else reject(new Error(`${event}: ${r.error?.code}`));
    });
  });
}

async function loggedIn(url: string, role: 'model' | 'client'): Promise<{ socket: Sock; key: string }> {
  const id = await createIdentity();
  const socket: Sock = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { v: 1 } });
  await new Promise<void>((resolve, reject) => { socket.once('connect', () => resolve()); socket.once('connect_error', reject); });
  const { challenge } = await call(socket, 'session:challenge', {}) as { challenge: string };
  const { signature } = await signChallenge(id, JSON.parse(challenge));
  await call(socket, 'session:login', { publicKey: id.publicKey, challenge, signature, role });
  return { socket, key: id.publicKey };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function message(child: ChildProcess, type: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: Record<string, unknown>) => { if (m.type === type) { child.off('message', onMsg); resolve(m); } };
    child.on('message', onMsg);
    child.once('exit', (code) => reject(new Error(`child exited ${code} waiting for ${type}`)));
  });
}

// ------------------------------------------------------------------- server
async function serverRole(): Promise<void> {
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', SESSION_SECRET: randomBytes(32).toString('base64') });
  // No media in this bench: the coordinator says when the show's (absent) publisher "reaches the SFU".
  const events = new TypedEmitter<SfuEngineEvents>();
  const server = await createSignalingServer({
    config, logger: pino({ level: 'silent' }), sfu: { events, closeShow: async () => {} },
    // Thousands of load clients share one loopback address: the per-address limits would refuse them (0: none).
    tuning: {
      maxConnections: 19_000, maxConnectionsPerAddress: 0, eventsPerSecond: 1_000, chatPoints: 1_000_000, chatWindowSeconds: 1,
      anonymousEventsPerSecond: 0, loginsPerMinute: 0, httpRequestsPerMinute: 0,
    },
  });
  const port = await server.listen(0, '127.0.0.1');
  process.send!({ type: 'ready', port });
  process.on('message', (m: { type: string; showId?: string }) => {
    if (m.type === 'media' && m.showId) events.emit('showstarted', m.showId);
    if (m.type === 'stats') {
      const connected = server.io.of('/').sockets.size;
      const loggedIn = [...server.io.of('/').sockets.values()].filter((s) => s.data.key).length;
      process.send!({ type: 'stats', rss: process.memoryUsage().rss, connected, loggedIn });
    }
    if (m.type === 'stop') void server.close().then(() => process.exit(0));
  });
}

// ------------------------------------------------------------------- clients
async function clientsRole(): Promise<void> {
  const sockets: Sock[] = [];
  const latencies: number[] = [];
  process.on('message', async (m: { type: string; url: string; count: number; viewers: number; model: string }) => {
    if (m.type === 'connect') {
      let viewersLeft = m.viewers;
      const batch = 100;
      for (let i = 0; i < m.count; i += batch) {
        const n = Math.min(batch, m.count - i);
        const made = await Promise.all(Array.from({ length: n }, () => loggedIn(m.url, 'client')));
        for (const { socket } of made) {
          sockets.push(socket);
          if (viewersLeft > 0) {
            viewersLeft--;
            await call(socket, 'show:watch', { model: m.model });
            socket.on('chat:message', (msg) => {
              const at = now();
              const m = /^m(\d+) t=([0-9.]+)$/.exec(msg.text);
              if (m && Number(m[1]) >= WARMUP) latencies.push(at - Number(m[2]));
            });
          }
        }
      }
      process.send!({ type: 'connected', count: sockets.length });
    }
    if (m.type === 'report') process.send!({ type: 'report', latencies: latencies.splice(0) });
    if (m.type === 'stop') {
      for (const s of sockets) s.close();
      process.exit(0);
    }
  });
  process.send!({ type: 'up' });
}

// ------------------------------------------------------------------- coordinator
async function coordinator(): Promise<void> {
  const total = Number(process.env.BENCH_CLIENTS ?? 5000);
  const viewers = Number(process.env.BENCH_VIEWERS ?? 1000);
  const messages = Number(process.env.BENCH_MESSAGES ?? 60);
  const execArgv = ['--import', 'tsx'];
  const server = fork(self, ['--server'], { execArgv, stdio: 'inherit' });
  const { port } = await message(server, 'ready') as { port: number };
  const url = `http://127.0.0.1:${port}`;
  server.send({ type: 'stats' });
  const base = await message(server, 'stats') as { rss: number };

  const model = await loggedIn(url, 'model');
  const { showId } = await call(model.socket, 'show:open', {}) as { showId: string };
  const live = new Promise<void>((resolve) => model.socket.on('directory:update', (e) => { if (e.status === 'public') resolve(); }));
  server.send({ type: 'media', showId });
  await live;

  const loaders = [fork(self, ['--clients'], { execArgv, stdio: 'inherit' }), fork(self, ['--clients'], { execArgv, stdio: 'inherit' })];
  await Promise.all(loaders.map((l) => message(l, 'up')));
  const started = Date.now();
  const perLoader = [Math.ceil((total - 1) / 2), Math.floor((total - 1) / 2)];
  const perViewer = [Math.ceil(viewers / 2), Math.floor(viewers / 2)];
  await Promise.all(loaders.map((l, i) => {
    l.send({ type: 'connect', url, count: perLoader[i], viewers: perViewer[i], model: model.key });
    return message(l, 'connected');
  }));
  const connectSeconds = (Date.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 1500)); // let viewer-count pushes and GC settle
  server.send({ type: 'stats' });
  const held = await message(server, 'stats') as { rss: number; connected: number; loggedIn: number };

  // Fan-out: one message every 100 ms to the show's viewers; the first 5 warm up.
  for (let i = 0; i < messages; i++) {
    await call(model.socket, 'chat:send', { showId, text: `m${i} t=${now().toFixed(3)}` });
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 1000));
  const all: number[] = [];
  for (const l of loaders) {
    l.send({ type: 'report' });
    all.push(...((await message(l, 'report')).latencies as number[]));
  }
  const expected = viewers * (messages - WARMUP);
  const measured = all.slice(0).sort((a, b) => a - b);
  server.send({ type: 'stats' });
  const after = await message(server, 'stats') as { rss: number; connected: number };

  console.log(`clients_connected: ${held.loggedIn} clients`);
  console.log(`connect_rate: ${(held.loggedIn / connectSeconds).toFixed(0)} logins/s`);
  console.log(`chat_fanout_p50_ms: ${percentile(measured, 50).toFixed(1)} ms`);
  console.log(`chat_fanout_p99_ms: ${percentile(measured, 99).toFixed(1)} ms`);
  console.log(`chat_fanout_max_ms: ${measured[measured.length - 1]!.toFixed(1)} ms`);
  console.log(`chat_deliveries: ${all.length} of ${expected} messages`);
  console.log(`rss_per_client_kib: ${((held.rss - base.rss) / 1024 / held.loggedIn).toFixed(1)} KiB`);
  console.log(`server_rss_mib: ${(after.rss / 1048576).toFixed(0)} MiB`);

  for (const l of loaders) l.send({ type: 'stop' });
  model.socket.close();
  server.send({ type: 'stop' });
  await Promise.all([server, ...loaders].map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
  process.exit(all.length === expected ? 0 : 1);
}

if (process.argv.includes('--server')) await serverRole();
else if (process.argv.includes('--clients')) await clientsRole();
else await coordinator();

/**
 * `npm run bench:sfu`: a Chromium publisher (fake camera, simulcast 1280x720
 * plus audio) into one SFU worker process, and werift viewers in another
 * process. Prints `name: value unit` lines:
 *
 *   publisher_bitrate_kbps        what the publisher sends 10 s after joining (REMB/TWCC let it climb)
 *   join_to_first_frame_p50_ms    viewer POST start -> first complete keyframe, 100 viewers joining
 *   join_to_first_frame_p95_ms
 *   join_to_connected_p50_ms      viewer POST start -> ICE and DTLS connected (the rest is the keyframe wait)
 *   cpu_us_per_forwarded_packet   worker CPU (user+sys) / packets forwarded, steady state
 *                                 (median of 5 s windows; min, max and whole-phase values follow)
 *   viewer_packets_per_s          packets one audio+video viewer receives per second
 *   viewer_loss_fraction          packets missing at the viewers during the steady phase
 *   viewers_per_core              1 s of CPU / (cost per packet * packets per viewer per s)
 *
 * Then the viewers leave and as many join again offering transport-wide-cc (the
 * SFU then numbers, records and estimates every packet): the same steady-phase
 * lines follow with a `_twcc` suffix, beside the REMB-only figures above.
 *
 * Env: SFU_BENCH_VIEWERS (default 100), SFU_BENCH_JOIN_SPACING_MS (default 50),
 * SFU_BENCH_STEADY_S (default 20), SFU_BENCH_TWCC (default 1; 0 skips the transport-cc phase), SFU_BENCH_SETTLE_S (default 5: once-a-second paths such as
 * RTCP are still being JIT-compiled right after the joins), SFU_BENCH_LAYER (default medium).
 * Runs inside a loopback-only network namespace (re-executes itself there).
 */
import { fork, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createSfu } from '../../sfu/sfu.ts';
import { mintSfuToken } from '../../sfu/tokens.ts';
import { launchBrowser, startOrigin, waitFor } from '../sfu/helpers/browser.ts';
import { joinWhep, type WeriftViewerClient } from '../sfu/helpers/weriftViewer.ts';

const self = fileURLToPath(import.meta.url);
const VIEWERS = Number(process.env.SFU_BENCH_VIEWERS ?? 100);
const SPACING = Number(process.env.SFU_BENCH_JOIN_SPACING_MS ?? 50);
const STEADY_S = Number(process.env.SFU_BENCH_STEADY_S ?? 20);
const WINDOW_S = 5;
const LAYER = (process.env.SFU_BENCH_LAYER ?? 'medium') as 'medium';
const SETTLE_S = Number(process.env.SFU_BENCH_SETTLE_S ?? 5);

type ToChild = { cmd: 'join'; endpoint: string; tokens: string[]; spacingMs: number; layer: string; transportCc: boolean } | { cmd: 'stats' } | { cmd: 'leave' } | { cmd: 'close' };
interface ChildStats { joined: number; failed: number; firstFrames: number[]; connected: number[]; video: number; audio: number; lost: number }

function loopbackOnly(): boolean {
  const out = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  const links = (out.stdout ?? '').split('\n').filter((l) => l.trim() !== '');
  return out.status === 0 && links.length === 1 && /\blo\b/.test(links[0] ?? '');
}

async function child(): Promise<void> {
  let viewers: WeriftViewerClient[] = [];
  let failed = 0;
  const stats = (): ChildStats => ({
    joined: viewers.length,
    failed,
    firstFrames: viewers.map((v) => v.firstFrameMs() ?? -1),
    connected: viewers.map((v) => v.connectedMs() ?? -1),
    video: viewers.reduce((n, v) => n + v.videoPackets(), 0),
    audio: viewers.reduce((n, v) => n + v.audioPackets(), 0),
    lost: viewers.reduce((n, v) => n + v.lostPackets(), 0),
  });
  process.on('message', async (msg: ToChild) => {
    if (msg.cmd === 'join') {
      const joins: Promise<void>[] = [];
      for (const token of msg.tokens) {
        joins.push(joinWhep({ endpoint: msg.endpoint, token, layer: msg.layer as 'medium', transportCc: msg.transportCc }).then((v) => { viewers.push(v); }, () => { failed++; }));
        await new Promise((r) => setTimeout(r, msg.spacingMs));
      }
      await Promise.all(joins);
      process.send!({ type: 'joined', stats: stats() });
    } else if (msg.cmd === 'stats') {
      process.send!({ type: 'stats', stats: stats() });
    } else if (msg.cmd === 'leave') {
      await Promise.all(viewers.map((v) => v.close()));
      viewers = [];
      failed = 0;
      process.send!({ type: 'left', stats: stats() });
    } else {
      await Promise.all(viewers.map((v) => v.close()));
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

async function main(): Promise<void> {
  const secret = new Uint8Array(32).fill(42);
  const sfu = await createSfu({ workers: 1, listenIp: '127.0.0.1' });
  const origin = await startOrigin(sfu.engine, secret);
  const browser = await launchBrowser();
  const load = fork(self, ['--viewers'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = <T>(msg: ToChild, type: string) => new Promise<T>((resolve) => {
    const on = (m: { type: string; stats: T }) => { if (m.type === type) { load.off('message', on); resolve(m.stats); } };
    load.on('message', on);
    load.send(msg);
  });
  try {
    const show = 'bench';
    const page = await browser.page(origin.url);
    const token = mintSfuToken(secret, { kind: 'whip', showId: show, sub: 'model', ttlSeconds: 3600 });
    await page.evaluate((a) => (window as any).sfuTest.publish(a), { endpoint: `${origin.url}/whip/${show}`, token, width: 1280, height: 720 });
    const published = Date.now();
    await waitFor(() => sfu.engine.hasShow(show), 15_000, 'show live');
    await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - published))));
    const [atTen] = await sfu.engine.showStats();
    console.log(`publisher_bitrate_kbps: ${atTen?.publisherBitrateKbps ?? 0} kbps`);
    // Ingest alone (publisher, no viewers): the part of the worker's CPU that is not fan-out.
    const i0 = (await sfu.engine.workerStats())[0]!;
    await new Promise((r) => setTimeout(r, 3000));
    const i1 = (await sfu.engine.workerStats())[0]!;
    const ingestPercent = ((i1.cpuMicros - i0.cpuMicros) / 3e6) * 100;
    console.log(`worker_cpu_percent_ingest_only: ${ingestPercent.toFixed(1)} %`);

    /** Viewers join (REMB only, or offering transport-cc), the steady phase is measured, the lines printed with `suffix`. */
    const phase = async (transportCc: boolean, suffix: string) => {
      const tokens = Array.from({ length: VIEWERS }, (_v, i) => mintSfuToken(secret, { kind: 'whep', showId: show, sub: `viewer-${i}${suffix}`, ttlSeconds: 3600 }));
      const joined = await ask<ChildStats>({ cmd: 'join', endpoint: `${origin.url}/whep/${show}`, tokens, spacingMs: SPACING, layer: LAYER, transportCc }, 'joined');
      await waitFor(async () => (await ask<ChildStats>({ cmd: 'stats' }, 'stats')).firstFrames.every((f) => f >= 0), 20_000, 'first frames').catch(() => {});
      const afterJoin = await ask<ChildStats>({ cmd: 'stats' }, 'stats');
      const frames = afterJoin.firstFrames.filter((f) => f >= 0);
      console.log(`join_to_first_frame_p50_ms${suffix}: ${Math.round(percentile(frames, 50))} ms`);
      console.log(`join_to_first_frame_p95_ms${suffix}: ${Math.round(percentile(frames, 95))} ms`);
      console.log(`join_to_connected_p50_ms${suffix}: ${Math.round(percentile(afterJoin.connected.filter((c) => c >= 0), 50))} ms`);
      console.log(`viewers_joined${suffix}: ${joined.joined} count`);
      console.log(`viewers_with_first_frame${suffix}: ${frames.length} count`);

      await new Promise((r) => setTimeout(r, SETTLE_S * 1000)); // settle: the once-a-second paths (RTCP) finish JIT tiering
      // The steady phase in windows: this shared VM has bursts of host noise, so the
      // figure is the median window's, with the spread and the whole-phase value beside it.
      const windows = Math.max(1, Math.round(STEADY_S / WINDOW_S));
      const w0 = (await sfu.engine.workerStats())[0]!;
      const c0 = await ask<ChildStats>({ cmd: 'stats' }, 'stats');
      const t0 = performance.now();
      const perWindow: number[] = [];
      let prev = w0;
      for (let i = 0; i < windows; i++) {
        await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
        const w = (await sfu.engine.workerStats())[0]!;
        perWindow.push((w.cpuMicros - prev.cpuMicros) / Math.max(1, w.forwardedPackets - prev.forwardedPackets));
        prev = w;
      }
      const w1 = prev;
      const c1 = await ask<ChildStats>({ cmd: 'stats' }, 'stats');
      const seconds = (performance.now() - t0) / 1000;
      const forwarded = w1.forwardedPackets - w0.forwardedPackets;
      const cpu = w1.cpuMicros - w0.cpuMicros;
      const perPacket = percentile(perWindow, 50);
      const received = (c1.video - c0.video) + (c1.audio - c0.audio);
      const lost = c1.lost - c0.lost;
      const perViewer = received / Math.max(1, c1.joined) / seconds;
      console.log(`cpu_us_per_forwarded_packet${suffix}: ${perPacket.toFixed(2)} us`);
      console.log(`cpu_us_per_forwarded_packet_min_window${suffix}: ${Math.min(...perWindow).toFixed(2)} us`);
      console.log(`cpu_us_per_forwarded_packet_max_window${suffix}: ${Math.max(...perWindow).toFixed(2)} us`);
      console.log(`cpu_us_per_forwarded_packet_whole_phase${suffix}: ${(cpu / Math.max(1, forwarded)).toFixed(2)} us`);
      console.log(`cpu_us_per_forwarded_packet_kernel${suffix}: ${((w1.cpuSystemMicros - w0.cpuSystemMicros) / Math.max(1, forwarded)).toFixed(2)} us`);
      console.log(`worker_cpu_percent${suffix}: ${((cpu / 1e6 / seconds) * 100).toFixed(1)} %`);
      console.log(`forwarded_packets_per_s${suffix}: ${Math.round(forwarded / seconds)} pkt/s`);
      console.log(`viewer_packets_per_s${suffix}: ${perViewer.toFixed(1)} pkt/s`);
      console.log(`viewer_loss_fraction${suffix}: ${(lost / Math.max(1, received + lost)).toFixed(5)} ratio`);
      console.log(`viewers_per_core${suffix}: ${Math.floor(1e6 / (perPacket * perViewer))} viewers`);
    };
    await phase(false, '');
    if (process.env.SFU_BENCH_TWCC !== '0') {
      await ask<ChildStats>({ cmd: 'leave' }, 'left');
      await new Promise((r) => setTimeout(r, 2000));
      await phase(true, '_twcc');
    }
    // The child closes its viewers and exits; it sends no reply.
    const exited = new Promise((r) => load.once('exit', r));
    load.send({ cmd: 'close' } satisfies ToChild);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  } finally {
    load.kill('SIGKILL');
    await browser.close();
    await origin.close();
    await sfu.close();
  }
}

if (process.argv.includes('--viewers')) {
  await child();
} else if (!loopbackOnly() && process.env.LIVECAM_BENCH_NETNS !== '1') {
  const isRoot = process.getuid?.() === 0;
  const inner = `ip link set lo up && exec "${process.execPath}" --import tsx "${self}"`;
  const r = spawnSync('unshare', [...(isRoot ? ['-n'] : ['-rn']), 'bash', '-c', inner], { stdio: 'inherit', env: { ...process.env, LIVECAM_BENCH_NETNS: '1' } });
  process.exit(r.status ?? 1);
} else {
  await main();
  process.exit(0);
}

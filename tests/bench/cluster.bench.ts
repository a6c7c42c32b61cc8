/**
 * `npm run bench:cluster`: two SFU processes on loopback, each its own host
 * (tests/sfu/edge-relay-host.ts): an origin holding a show and an edge that
 * serves it from one relay (sfu/relay/). A werift publisher sends VP8 (8
 * packets per frame at 30 fps, a keyframe each second) and Opus; each video
 * packet carries a counter, so the same packet can be timed at an origin
 * viewer and at an edge viewer. Prints `name: value unit` lines:
 *
 *   origin_to_edge_extra_latency_ms_first_frame       edge viewer's join-to-first-frame minus the origin viewer's (median of rounds),
 *                                                     joined together, the edge pulling the show now (cold relay;
 *                                                     the edge host has served another relayed show before)
 *   origin_to_edge_extra_latency_ms_first_frame_warm  the same once the edge holds the relay
 *   edge_whep_answer_extra_ms_cold_relay              of which the WHEP answer's delay (the edge pulling the relay)
 *   origin_to_edge_extra_latency_ms_steady            median, per video packet, arrival at the edge viewer minus
 *                                                     arrival at the origin viewer (then the p95 line)
 *   viewer_cpu_us_per_packet_origin                   origin worker CPU per packet forwarded to one viewer
 *   relay_cpu_us_per_packet_origin                    origin worker CPU per packet forwarded to one edge relay
 *   viewers_total, viewers_per_host                   viewers playing at once over the two hosts, and on each
 *
 * CPU costs are the origin worker's CPU time (user + system) above the
 * publisher-only baseline, over 10 s windows. Targets (issue 15): extra latency
 * at most 30 ms; a relay costs the origin no more than a viewer.
 * Env: CLUSTER_BENCH_VIEWERS (per host, default 10), CLUSTER_BENCH_FEEDS (relays in the
 * relay-cost phase, default 10), CLUSTER_BENCH_WINDOW_S (default 10), CLUSTER_BENCH_ROUNDS (first-frame rounds, default 5).
 * Runs inside a loopback-only network namespace (re-executes itself there).
 */
import { runOnLoopback } from './loopback.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket, useNACK, usePLI, useREMB,
} from 'werift';
import type { RelayOffer, ShowStats, WorkerStats } from '../../sfu/engine.ts';
import { RelaySource } from '../../sfu/relay/RelaySource.ts';
import { mintSfuToken } from '../../sfu/tokens.ts';
import { loopbackPeer } from '../sfu/helpers/loopbackPeer.ts';

const HOST = fileURLToPath(new URL('../sfu/edge-relay-host.ts', import.meta.url));
const VIEWERS = Number(process.env.CLUSTER_BENCH_VIEWERS ?? 10);
const FEEDS = Number(process.env.CLUSTER_BENCH_FEEDS ?? 10);
const WINDOW_S = Number(process.env.CLUSTER_BENCH_WINDOW_S ?? 10);
const ROUNDS = Number(process.env.CLUSTER_BENCH_ROUNDS ?? 5);
const SHOW = 'cluster-bench';
/** Video packets per frame: a picture group (30 frames) stays within what the SFU replays to a joiner. */
const PACKETS_PER_FRAME = 4;
const secret = Buffer.alloc(32, 9);


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const print = (name: string, value: number | string, unit: string) => console.log(`${name}: ${typeof value === 'number' ? value.toFixed(1) : value} ${unit}`);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] ?? NaN; };
const p95 = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length * 0.95)] ?? NaN; };

interface Host { url: string; child: ChildProcess }
async function startHost(): Promise<Host> {
  const child = spawn(process.execPath, ['--import', 'tsx', HOST], { env: { ...process.env, SFU_HOST_SECRET: secret.toString('hex') }, stdio: ['pipe', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); const m = /listening (\S+)/.exec(out); if (m) resolve(m[1]!); });
    child.once('exit', (code) => reject(new Error(`SFU host exited (${code})`)));
  });
  return { url, child };
}
async function statsOf(host: Host): Promise<{ show: ShowStats | undefined; worker: WorkerStats }> {
  const s = await (await fetch(`${host.url}/test/stats`)).json() as { shows: ShowStats[]; workers: WorkerStats[] };
  return { show: s.shows.find((x) => x.showId === SHOW && !x.relayed) ?? s.shows.find((x) => x.showId === SHOW), worker: s.workers[0]! };
}
async function until(fn: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) { if (Date.now() > deadline) throw new Error(`timed out: ${what}`); await sleep(50); }
}

/** The bench publisher: every video packet ends with a 32-bit counter (the SFU forwards payloads unchanged). */
async function publish(endpoint: string, showId = SHOW): Promise<{ close(): Promise<void> }> {
  const pc = loopbackPeer();
  const video = new MediaStreamTrack({ kind: 'video' });
  const audio = new MediaStreamTrack({ kind: 'audio' });
  const videoT = pc.addTransceiver(video, { direction: 'sendonly' });
  pc.addTransceiver(audio, { direction: 'sendonly' });
  // Like a browser's encoder: a PLI makes the next frame a keyframe (at most one per 300 ms).
  let keyAsked = false;
  let lastKey = -Infinity;
  videoT.sender.onPictureLossIndication.subscribe(() => { keyAsked = true; });
  await pc.setLocalDescription(await pc.createOffer());
  const token = mintSfuToken(secret, { kind: 'whip', showId, sub: 'model', ttlSeconds: 3600 });
  const res = await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` }, body: pc.localDescription!.sdp });
  if (res.status !== 201) throw new Error(`WHIP ${res.status}: ${await res.text()}`);
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  await until(() => pc.connectionState === 'connected', 10_000, 'publisher connected');
  let seq = 1; let ts = 0; let frame = 0; let counter = 0; let aseq = 1; let ats = 0;
  const videoTimer = setInterval(() => {
    const now = performance.now();
    const key = frame++ % 30 === 0 || (keyAsked && now - lastKey >= 300);
    if (key) { keyAsked = false; lastKey = now; }
    ts = (ts + 3000) >>> 0;
    for (let i = 0; i < PACKETS_PER_FRAME; i++) {
      const p = Buffer.alloc(1000, 0x55);
      if (i === 0) Buffer.from(key ? [0x10, 0x50, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00] : [0x10, 0x51, 0x01, 0x00]).copy(p);
      else p[0] = 0x00;
      p.writeUInt32BE(counter++ >>> 0, p.length - 4);
      video.writeRtp(new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: seq++ & 0xffff, timestamp: ts, ssrc: 5151, marker: i === PACKETS_PER_FRAME - 1 }), p));
    }
  }, 33);
  const audioTimer = setInterval(() => {
    audio.writeRtp(new RtpPacket(new RtpHeader({ payloadType: 111, sequenceNumber: aseq++ & 0xffff, timestamp: (ats += 960) >>> 0, ssrc: 5252 }), Buffer.alloc(120, 0x11)));
  }, 20);
  return { close: async () => { clearInterval(videoTimer); clearInterval(audioTimer); await pc.close(); } };
}

interface BenchViewer { firstFrameMs(): number | undefined; answeredMs: number; connectedMs(): number | undefined; arrivals: Map<number, number> | undefined; close(): Promise<void> }
/** A WHEP viewer; with `timing`, notes when each counted video packet arrived. */
async function view(endpoint: string, origin: string | undefined, timing: boolean, showId = SHOW): Promise<BenchViewer> {
  const started = performance.now();
  const pc = new RTCPeerConnection({
    iceAdditionalHostAddresses: ['127.0.0.1'], iceInterfaceAddresses: { udp4: '127.0.0.1' } as never, iceUseIpv6: false,
    codecs: {
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111 })],
      video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96, rtcpFeedback: [useNACK(), usePLI(), useREMB()] })],
    },
    headerExtensions: { audio: [], video: [] },
  });
  let first: number | undefined;
  let connected: number | undefined;
  pc.connectionStateChange.subscribe((state) => { if (state === 'connected') connected ??= performance.now() - started; });
  let inKey = false;
  const arrivals = timing ? new Map<number, number>() : undefined;
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const v = pc.addTransceiver('video', { direction: 'recvonly' });
  v.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((p) => {
    const at = performance.now();
    const b = p.payload;
    if (b.length >= 4 && (b[0]! & 0x10) && !(b[1]! & 0x01)) inKey = true;
    if (inKey && p.header.marker) { inKey = false; first ??= at - started; }
    if (arrivals && b.length >= 4) arrivals.set(b.readUInt32BE(b.length - 4), at);
  }));
  await pc.setLocalDescription(await pc.createOffer());
  const token = mintSfuToken(secret, { kind: 'whep', showId, sub: `v${Math.random()}`, ttlSeconds: 3600, ...(origin ? { origin } : {}) });
  const res = await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` }, body: pc.localDescription!.sdp });
  if (res.status !== 201) { await pc.close(); throw new Error(`WHEP ${res.status}: ${await res.text()}`); }
  const answeredMs = performance.now() - started;
  const location = new URL(res.headers.get('Location')!, endpoint);
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  return {
    firstFrameMs: () => first,
    answeredMs,
    connectedMs: () => connected,
    arrivals,
    close: async () => {
      await fetch(location, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } }).catch(() => {});
      await pc.close().catch(() => {});
    },
  };
}

/** Origin worker CPU per second and the show's forwarded and relayed packets over one window. */
async function window(origin: Host): Promise<{ cpuPerS: number; forwarded: number; relayed: number }> {
  const a = await statsOf(origin);
  const t0 = performance.now();
  await sleep(WINDOW_S * 1000);
  const b = await statsOf(origin);
  const seconds = (performance.now() - t0) / 1000;
  return {
    cpuPerS: (b.worker.cpuMicros - a.worker.cpuMicros) / seconds,
    forwarded: (b.show!.forwardedPackets - a.show!.forwardedPackets) / seconds,
    relayed: (b.show!.relayedPackets - a.show!.relayedPackets) / seconds,
  };
}

async function main(): Promise<void> {
  const [origin, edge] = await Promise.all([startHost(), startHost()]);
  const publisher = await publish(`${origin.url}/whip/${SHOW}`);
  await until(async () => ((await statsOf(origin)).show?.layers.length ?? 0) > 0, 15_000, 'the show on the origin');
  const atOrigin = `${origin.url}/whep/${SHOW}`;
  const atEdge = `${edge.url}/whep/${SHOW}`;
  // A host that has served before: the edge relays another show to a viewer first (a process's first
  // peer connection and relay compile their code paths; that is the process starting, not the relay).
  const warmShow = `${SHOW}-warmup`;
  const warmPublisher = await publish(`${origin.url}/whip/${warmShow}`, warmShow);
  await sleep(1500);
  for (const at of [`${origin.url}/whep/${warmShow}`, `${edge.url}/whep/${warmShow}`]) {
    const w = await view(at, at.startsWith(edge.url) ? origin.url : undefined, false, warmShow);
    await until(() => w.firstFrameMs() !== undefined, 15_000, 'the warm-up viewer');
    await w.close();
  }
  await warmPublisher.close();
  await sleep(2000);

  // First frame: an origin viewer and an edge viewer join together, the edge pulling the show (its relay
  // ends with the round's viewers), then a pair joins while the relay is up; the median over the rounds.
  const cold: number[] = [];
  const warm: number[] = [];
  const answers: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const [o1, e1] = await Promise.all([view(atOrigin, undefined, false), view(atEdge, origin.url, false)]);
    await until(() => o1.firstFrameMs() !== undefined && e1.firstFrameMs() !== undefined, 15_000, 'first frames');
    cold.push(e1.firstFrameMs()! - o1.firstFrameMs()!);
    answers.push(e1.answeredMs - o1.answeredMs);
    const [o2, e2] = await Promise.all([view(atOrigin, undefined, false), view(atEdge, origin.url, false)]);
    await until(() => o2.firstFrameMs() !== undefined && e2.firstFrameMs() !== undefined, 15_000, 'warm first frames');
    warm.push(e2.firstFrameMs()! - o2.firstFrameMs()!);
    for (const v of [o1, e1, o2, e2]) await v.close();
    await until(async () => (await statsOf(origin)).show?.relayFeeds === 0, 15_000, 'the edge relay to end');
  }
  print('origin_to_edge_extra_latency_ms_first_frame', median(cold), 'ms');
  print('origin_to_edge_extra_latency_ms_first_frame_warm', median(warm), 'ms');
  print('edge_whep_answer_extra_ms_cold_relay', median(answers), 'ms');
  // Steady state: the same video packets timed at an origin viewer and an edge viewer.
  const [atO, atE] = await Promise.all([view(atOrigin, undefined, true), view(atEdge, origin.url, true)]);
  await until(() => atO.firstFrameMs() !== undefined && atE.firstFrameMs() !== undefined, 15_000, 'first frames');
  atO.arrivals!.clear(); atE.arrivals!.clear();
  await sleep(WINDOW_S * 1000);
  const diffs: number[] = [];
  for (const [counter, at] of atO.arrivals!) { const x = atE.arrivals!.get(counter); if (x !== undefined) diffs.push(x - at); }
  print('origin_to_edge_extra_latency_ms_steady', median(diffs), 'ms');
  print('origin_to_edge_extra_latency_ms_steady_p95', p95(diffs), 'ms');
  for (const v of [atO, atE]) await v.close();
  await until(async () => (await statsOf(origin)).show?.relayFeeds === 0, 15_000, 'the edge relay to end');

  // CPU: publisher only, then viewers on the origin, then relays from the origin.
  await sleep(3000);
  const base = await window(origin);
  const viewers = await Promise.all(Array.from({ length: VIEWERS }, () => view(atOrigin, undefined, false)));
  await until(() => viewers.every((v) => v.firstFrameMs() !== undefined), 20_000, 'origin viewers playing');
  await sleep(3000);
  const withViewers = await window(origin);
  for (const v of viewers) await v.close();
  const perViewer = (withViewers.cpuPerS - base.cpuPerS) / withViewers.forwarded;
  const feeds: RelaySource[] = [];
  for (let i = 0; i < FEEDS; i++) {
    const token = mintSfuToken(secret, { kind: 'relay', showId: SHOW, sub: 'bench', ttlSeconds: 600 });
    const res = await fetch(`${origin.url}/relay/${SHOW}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    const offer = await res.json() as RelayOffer;
    feeds.push(await RelaySource.connect({ ...offer, host: '127.0.0.1' }));
  }
  await sleep(3000);
  const withFeeds = await window(origin);
  const perRelay = (withFeeds.cpuPerS - base.cpuPerS) / withFeeds.relayed;
  const received = feeds.reduce((n, f) => n + f.packetsReceived, 0);
  for (const f of feeds) await f.close('deleted');
  print('viewer_cpu_us_per_packet_origin', perViewer, 'us');
  print('relay_cpu_us_per_packet_origin', perRelay, 'us');
  print('relay_packets_received_per_feed_per_s', received / FEEDS / (WINDOW_S + 3), 'packets');
  print('origin_baseline_cpu_percent', base.cpuPerS / 1e4, '%');

  // Capacity: viewers on both hosts at once, the edge's from one relay.
  const both = await Promise.all([
    ...Array.from({ length: VIEWERS }, () => view(atOrigin, undefined, false)),
    ...Array.from({ length: VIEWERS }, () => view(atEdge, origin.url, false)),
  ]);
  await until(() => both.every((v) => v.firstFrameMs() !== undefined), 30_000, 'viewers on both hosts').catch(() => {});
  const playing = both.map((v) => v.firstFrameMs() !== undefined);
  const onOrigin = playing.slice(0, VIEWERS).filter(Boolean).length;
  const onEdge = playing.slice(VIEWERS).filter(Boolean).length;
  const e = await statsOf(edge);
  print('viewers_total', onOrigin + onEdge, 'viewers');
  print('viewers_per_host', Math.min(onOrigin, onEdge), 'viewers');
  print('viewers_on_origin', onOrigin, 'viewers');
  print('viewers_on_edge', onEdge, 'viewers');
  print('origin_relay_feeds_for_edge_viewers', (await statsOf(origin)).show?.relayFeeds ?? 0, 'feeds');
  print('edge_viewers_counted_by_edge', e.show?.viewers ?? 0, 'viewers');
  for (const v of both) await v.close();
  await publisher.close();
  for (const h of [origin, edge]) h.child.kill('SIGTERM');
}

await runOnLoopback(import.meta.url, main);

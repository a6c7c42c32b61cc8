/**
 * End to end in Chromium (fake camera, loopback-only namespace): a simulcast
 * publisher over WHIP, viewers over WHEP asking for a layer, a mid-playback
 * switch without a freeze, 20 werift viewers, and keyframe-request
 * aggregation seen from the publisher's own stats (pliCount).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Page } from 'playwright-core';
import { createSfu, type Sfu } from '../../sfu/sfu.ts';
import { mintSfuToken } from '../../sfu/tokens.ts';
import { exitSoon, launchBrowser, startOrigin, waitFor, type Browser, type Origin } from './helpers/browser.ts';
import { joinWhep, type WeriftViewerClient } from './helpers/weriftViewer.ts';

const secret = new Uint8Array(32).fill(5);
const SHOW = 'simulcast-show';
const KEYFRAME_INTERVAL_MS = 500;
let sfu: Sfu;
let origin: Origin;
let browser: Browser;
let page: Page;
let publisher: number;

interface VideoStats { framesDecoded: number; frameWidth: number; frameHeight: number; audioPackets?: number }
const whep = () => ({ endpoint: `${origin.url}/whep/${SHOW}`, token: mintSfuToken(secret, { kind: 'whep', showId: SHOW, sub: `v${Math.random()}`, ttlSeconds: 600 }) });
const view = (layer: string) => page.evaluate((a) => (window as any).sfuTest.view(a), { ...whep(), layer }) as Promise<number>;
const stats = (id: number) => page.evaluate((i) => (window as any).sfuTest.videoStats(i), id) as Promise<VideoStats>;
const stop = (id: number) => page.evaluate((i) => (window as any).sfuTest.stop(i), id);
/** PLIs the publishing browser received, summed over its simulcast layers. */
const pliCount = (): Promise<number> => page.evaluate(async () => {
  let n = 0;
  for (const pc of (window as any).__allPcs ?? []) {
    const r = await pc.getStats();
    r.forEach((x: any) => { if (x.type === 'outbound-rtp' && x.kind === 'video') n += x.pliCount ?? 0; });
  }
  return n;
});

const e2e = suite('sfu simulcast in Chromium');

e2e.before(async () => {
  sfu = await createSfu({ workers: 1, listenIp: '127.0.0.1', keyframeIntervalMs: KEYFRAME_INTERVAL_MS });
  origin = await startOrigin(sfu.engine, secret);
  browser = await launchBrowser();
  page = await browser.page(origin.url);
  // Keep a handle on every RTCPeerConnection the page creates (publisher stats).
  await page.evaluate(() => {
    const w = window as any;
    w.__allPcs = [];
    const Orig = w.RTCPeerConnection;
    w.RTCPeerConnection = function (...args: unknown[]) { const pc = new Orig(...args); w.__allPcs.push(pc); return pc; };
    w.RTCPeerConnection.prototype = Orig.prototype;
  });
  const token = mintSfuToken(secret, { kind: 'whip', showId: SHOW, sub: 'model-key', ttlSeconds: 600 });
  publisher = await page.evaluate((a) => (window as any).sfuTest.publish(a), { endpoint: `${origin.url}/whip/${SHOW}`, token, width: 1280, height: 720 });
  await waitFor(() => sfu.engine.hasShow(SHOW), 15_000, 'the show to start');
  // Chromium sends all three layers once its bandwidth estimate is high enough.
  await waitFor(async () => {
    const [s] = await sfu.engine.showStats();
    return s && s.layers.length === 3 && s.layers.every((l) => l.bitrateKbps > 0);
  }, 20_000, 'three simulcast layers');
});

e2e.after(async () => {
  await browser?.close();
  await origin?.close();
  await sfu?.close();
  exitSoon();
});

e2e('a viewer asking for low gets ~320x180 and high gets ~1280x720', async () => {
  const low = await view('low');
  const high = await view('high');
  const l = await waitFor(async () => { const s = await stats(low); return s.framesDecoded >= 10 && s.frameWidth > 0 ? s : undefined; }, 15_000, 'low frames');
  const h = await waitFor(async () => { const s = await stats(high); return s.framesDecoded >= 10 && s.frameWidth >= 1000 ? s : undefined; }, 15_000, 'high frames');
  assert.ok(l.frameWidth >= 300 && l.frameWidth <= 340 && l.frameHeight >= 170 && l.frameHeight <= 190, `low is ${l.frameWidth}x${l.frameHeight}`);
  assert.ok(h.frameWidth >= 1200 && h.frameHeight >= 680, `high is ${h.frameWidth}x${h.frameHeight}`);
  assert.ok((l.audioPackets ?? 0) > 0 && (h.audioPackets ?? 0) > 0, 'audio is forwarded to both');
  const [s] = await sfu.engine.showStats();
  assert.is(s!.viewersPerLayer.low, 1);
  assert.is(s!.viewersPerLayer.high, 1);
  await stop(low);
  await stop(high);
});

e2e('switching layer mid-playback keeps frames decoding with no 1 s freeze', async () => {
  const id = await view('low');
  await waitFor(async () => (await stats(id)).framesDecoded >= 20, 15_000, 'low playing');
  const samples: { t: number; frames: number; width: number }[] = [];
  const t0 = Date.now();
  let switched = false;
  while (Date.now() - t0 < 5000) {
    const s = await stats(id);
    samples.push({ t: Date.now() - t0, frames: s.framesDecoded, width: s.frameWidth });
    if (!switched && Date.now() - t0 > 1000) {
      const status = await page.evaluate((i) => (window as any).sfuTest.setLayer(i, 'high'), id);
      assert.is(status, 204);
      switched = true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  let lastChange = samples[0]!;
  let longestStall = 0;
  for (const s of samples) {
    if (s.frames > lastChange.frames) lastChange = s;
    longestStall = Math.max(longestStall, s.t - lastChange.t);
  }
  assert.ok(longestStall < 1000, `framesDecoded stalled for ${longestStall} ms`);
  assert.ok(samples.at(-1)!.frames > samples[0]!.frames + 40, 'frames kept being decoded');
  assert.ok(samples[0]!.width <= 340, `started on low (${samples[0]!.width})`);
  assert.ok(samples.at(-1)!.width >= 1200, `ended on high (${samples.at(-1)!.width})`);
  await stop(id);
});

let viewers: WeriftViewerClient[] = [];

e2e('20 werift viewers all receive audio and video', async () => {
  for (let i = 0; i < 20; i += 5) {
    viewers.push(...await Promise.all([0, 1, 2, 3, 4].map(() => joinWhep(whep()))));
  }
  const ok = (v: WeriftViewerClient) => v.firstFrameMs() !== undefined && v.videoPackets() > 50 && v.audioPackets() > 25;
  await waitFor(() => viewers.every(ok), 40_000, 'every viewer to get a keyframe, video and audio').catch((err: Error) => {
    const lagging = viewers.filter((v) => !ok(v)).map((v) => `${v.location}: connected=${v.connectedMs()} firstFrame=${v.firstFrameMs()} video=${v.videoPackets()} audio=${v.audioPackets()}`);
    throw new Error(`${err.message}\n${lagging.join('\n')}`);
  });
  const [s] = await sfu.engine.showStats();
  assert.is(s!.viewers, 20);
  // The SFU is ICE-lite: the viewers run the connectivity checks and consent freshness.
  for (const v of viewers) assert.match(v.answer, /\r\na=ice-lite\r\n/);
  // Sender reports (one a second, SRTCP the viewer authenticates) for both streams, counting what was sent.
  await waitFor(() => viewers.every((v) => v.senderReports().length === 2), 5000, 'sender reports for audio and video');
  for (const v of viewers) {
    for (const r of v.senderReports()) {
      assert.ok(r.packetCount > 0 && r.octetCount > r.packetCount, `SR ${r.ssrc}: ${r.packetCount} packets, ${r.octetCount} octets`);
      assert.ok(Math.abs(r.ntpMs - Date.now()) < 5000, `SR ${r.ssrc} NTP time is now (${new Date(r.ntpMs).toISOString()})`);
    }
  }
});

e2e('a NACK is answered from the packet cache: the viewer gets those packets again', async () => {
  const v = viewers[0]!;
  const last = v.lastVideoSeq();
  const seqs = [1, 2, 3, 5, 8].map((d) => (last - d) & 0xffff).filter((s) => v.timesReceived(s) === 1);
  assert.ok(seqs.length >= 3, 'recent packets to ask for again');
  const answered = (await sfu.engine.showStats())[0]!.nacksAnswered;
  await v.sendNack(seqs);
  await waitFor(() => seqs.every((s) => v.timesReceived(s) === 2), 3000, 'retransmissions');
  assert.is((await sfu.engine.showStats())[0]!.nacksAnswered - answered, seqs.length);
});

e2e('keyframe requests from 20 viewers reach the publisher at most once per interval', async () => {
  const before = await pliCount();
  const sentBefore = (await sfu.engine.showStats())[0]!.keyframeRequestsToPublisher;
  const durationMs = 3000;
  const t0 = Date.now();
  let requests = 0;
  while (Date.now() - t0 < durationMs) {
    await Promise.all(viewers.map((v) => v.requestKeyframe()));
    requests += viewers.length;
    await new Promise((r) => setTimeout(r, 100));
  }
  const elapsed = Date.now() - t0;
  await new Promise((r) => setTimeout(r, 300)); // let the last RTCP arrive
  const received = (await pliCount()) - before;
  const [s] = await sfu.engine.showStats();
  const sent = s!.keyframeRequestsToPublisher - sentBefore;
  // All 20 viewers watch one layer: at most one PLI per interval (+1 for the edge).
  const allowed = Math.ceil((elapsed + 300) / KEYFRAME_INTERVAL_MS) + 1;
  assert.ok(requests >= 400, `viewers sent ${requests} PLIs`);
  assert.ok(s!.keyframeRequestsFromViewers >= requests * 0.8, `SFU saw ${s!.keyframeRequestsFromViewers} of ${requests}`);
  assert.ok(received >= 1, 'the publisher got keyframe requests');
  assert.ok(sent <= allowed, `SFU sent ${sent} PLIs in ${elapsed} ms (allowed ${allowed})`);
  assert.ok(received <= allowed, `publisher received ${received} PLIs in ${elapsed} ms (allowed ${allowed})`);
  await Promise.all(viewers.map((v) => v.close()));
  viewers = [];
});

/** Keyframes the publishing browser encoded, per simulcast layer (rid). */
const keyframesEncoded = (): Promise<Record<string, number>> => page.evaluate(async () => {
  const byRid: Record<string, number> = {};
  for (const pc of (window as any).__allPcs ?? []) {
    const r = await pc.getStats();
    r.forEach((x: any) => { if (x.type === 'outbound-rtp' && x.kind === 'video') byRid[x.rid ?? ''] = x.keyFramesEncoded ?? 0; });
  }
  return byRid;
});

e2e('one PLI for the high layer brings a keyframe on every layer (why VP8 layers share one interval)', async () => {
  const v = await joinWhep({ ...whep(), layer: 'high' });
  try {
    await waitFor(() => v.firstFrameMs() !== undefined, 15_000, 'the viewer to get a keyframe');
    // Let the join's own keyframe request and its replies settle first.
    await new Promise((r) => setTimeout(r, KEYFRAME_INTERVAL_MS * 2));
    const before = await keyframesEncoded();
    assert.is(Object.keys(before).length, 3, `three layers: ${JSON.stringify(before)}`);
    const sentBefore = (await sfu.engine.showStats())[0]!.keyframeRequestsToPublisher;
    await v.requestKeyframe();
    await waitFor(async () => {
      const now = await keyframesEncoded();
      return Object.keys(before).every((rid) => now[rid]! > before[rid]!);
    }, 5000, 'a new keyframe on every layer');
    assert.is((await sfu.engine.showStats())[0]!.keyframeRequestsToPublisher - sentBefore, 1, 'one PLI went to the publisher');
  } finally {
    await v.close();
  }
});

e2e.run();

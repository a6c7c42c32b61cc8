/**
 * The adaptive-bitrate scenario of issue 17, run inside namespace A (see
 * shapedLink.ts) against the real platform: a Chromium publisher with
 * simulcast in A, a Chromium viewer in B behind the veth link. Measures, in
 * order: an `auto` viewer joining on a clean link (time to 1280 px wide,
 * and whether it stays); the link shaped to 400 kbit/s (time to the low
 * layer, freezes while shaped); the link lifted (time back to high); then a
 * viewer fixed on `high` behind the shaped link (bytes retransmitted over
 * the link's capacity). Also scrapes the platform's /metrics mid-run.
 */
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { startTestPlatform } from '../../helpers/platform.ts';
import { login, ok } from '../../signaling/helpers.ts';
import { PAGE_SCRIPT } from './pageScript.ts';
import { chromiumIn, lift, shape, type LinkEnv } from './shapedLink.ts';

export const LINK_BPS = 400_000;
const SHAPED_S = Number(process.env.ABR_SHAPED_S ?? 10);
const STAY_S = 5;

export interface AbrFigures {
  /** From the viewer's POST to its first 1280-px frame on a clean link (Infinity: never within 15 s). */
  cleanJoinToHighS: number;
  /** It then stayed at 1280 px for STAY_S. */
  stayedHigh: boolean;
  /** From shaping to the first frame of the low layer (320 px). */
  downswitchS: number;
  /** Freezes (the browser's totalFreezesDuration) while shaped, auto viewer. */
  freezeShapedAutoS: number;
  /** From lifting to the first 1280-px frame again. */
  upswitchS: number;
  /** Viewer fixed on high: bytes retransmitted while shaped over what the link carries in that time. */
  retransmitToLinkRatioHigh: number;
  /** The platform's /metrics while the auto viewer was on the shaped link. */
  metrics: string;
  showId: string;
}

interface VideoStats { frameWidth: number; freezeSeconds: number; framesDecoded: number }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function page(context: { newPage(): Promise<Page> }, url: string): Promise<Page> {
  const p = await context.newPage();
  await p.goto(`${url}/healthz`);
  await p.addScriptTag({ content: PAGE_SCRIPT });
  return p;
}

/** Polls the viewer's width every 100 ms until `ok(width)` or `timeoutS`; seconds taken (Infinity: not reached). */
async function timeUntil(viewer: Page, id: number, ok: (s: VideoStats) => boolean, timeoutS: number, since = performance.now()): Promise<number> {
  while (performance.now() - since < timeoutS * 1000) {
    const s = await stats(viewer, id);
    if (ok(s)) return (performance.now() - since) / 1000;
    await sleep(100);
  }
  return Infinity;
}

function stats(viewer: Page, id: number): Promise<VideoStats> {
  return viewer.evaluate((i) => (window as any).sfuTest.videoStats(i), id);
}

export async function runAbrScenario(link: LinkEnv, log: (line: string) => void = () => {}): Promise<AbrFigures> {
  lift(link);
  // Off loopback, age verification fails closed and /metrics wants a token: this test is about media.
  const metricsToken = randomBytes(24).toString('hex');
  const platform = await startTestPlatform({
    HOST: link.hostA, SFU_ANNOUNCED_IP: link.hostA, SERVE_CLIENT: 'false', AGE_VERIFICATION: 'off', METRICS_TOKEN: metricsToken,
  });
  const publisherBrowser = await chromiumIn(link, 'A', platform.url);
  const viewerBrowser = await chromiumIn(link, 'B', platform.url);
  const users: { socket: { close(): void } }[] = [];
  try {
    const url = platform.url;
    // A show signaling opened (the platform closes media for any other), watched through show:watch.
    const modelUser = await login(url, 'model');
    const viewerUser = await login(url, 'client');
    users.push(modelUser, viewerUser);
    const opened = await ok(modelUser.socket, 'show:open', {});
    const showId = opened.showId;
    const watch = async () => {
      const w = await ok(viewerUser.socket, 'show:watch', { model: modelUser.key });
      return { endpoint: w.whepUrl, token: w.whepToken };
    };
    const model = await page(publisherBrowser.context, url);
    const publisherId: number = await model.evaluate((a) => (window as any).sfuTest.publish(a), { endpoint: opened.whipUrl, token: opened.whipToken, width: 1280, height: 720 });
    // The publisher's own estimate has to climb before all three layers flow.
    const deadline = Date.now() + (Number(process.env.ABR_PUBLISH_WAIT_S) || 30) * 1000;
    for (;;) {
      const [s] = await platform.sfu!.showStats();
      // Medium has to be near what the shaped link carries (with audio, over it), or "low" would not be the answer.
      const kbps = (layer: string) => s?.layers.find((l) => l.layer === layer)?.bitrateKbps ?? 0;
      if (s && kbps('low') > 0 && kbps('medium') > 300 && kbps('high') > 600) break;
      if (Date.now() > deadline) {
        const p = await model.evaluate((i) => (window as any).sfuTest.publisherStats(i), publisherId);
        throw new Error(`the publisher never sent three layers: ${JSON.stringify(s?.layers)}, publisher ${JSON.stringify(p)}`);
      }
      await sleep(250);
    }
    log(`layers: ${JSON.stringify((await platform.sfu!.showStats())[0]?.layers.map((l) => [l.layer, l.bitrateKbps]))}`);

    const viewer = await page(viewerBrowser.context, url);
    const joinAt = performance.now();
    const autoId: number = await viewer.evaluate((a) => (window as any).sfuTest.view(a), { ...(await watch()), layer: 'auto' });
    const cleanJoinToHighS = await timeUntil(viewer, autoId, (s) => s.frameWidth === 1280, 15, joinAt);
    let stayedHigh = Number.isFinite(cleanJoinToHighS);
    const stayUntil = performance.now() + STAY_S * 1000;
    while (stayedHigh && performance.now() < stayUntil) {
      if ((await stats(viewer, autoId)).frameWidth !== 1280) stayedHigh = false;
      await sleep(100);
    }
    log(`clean join: ${cleanJoinToHighS.toFixed(2)} s to high, stayed: ${stayedHigh}`);

    const before = await stats(viewer, autoId);
    shape(link);
    const shapedAt = performance.now();
    const downswitchS = await timeUntil(viewer, autoId, (s) => s.frameWidth > 0 && s.frameWidth <= 320, SHAPED_S, shapedAt);
    await sleep(Math.max(0, SHAPED_S * 1000 - (performance.now() - shapedAt)) / 2);
    const scrape = await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${metricsToken}` } });
    if (scrape.status !== 200) throw new Error(`/metrics answered ${scrape.status}: ${await scrape.text()}`);
    const metrics = await scrape.text();
    await sleep(Math.max(0, SHAPED_S * 1000 - (performance.now() - shapedAt)));
    const shapedEnd = await stats(viewer, autoId);
    const freezeShapedAutoS = shapedEnd.freezeSeconds - before.freezeSeconds;
    log(`shaped: ${downswitchS.toFixed(2)} s to low, ${freezeShapedAutoS.toFixed(2)} s frozen, width at end ${shapedEnd.frameWidth}`);
    lift(link);
    const upswitchS = await timeUntil(viewer, autoId, (s) => s.frameWidth === 1280, 20);
    log(`lifted: ${upswitchS.toFixed(2)} s to high; ${JSON.stringify((await platform.sfu!.showStats())[0], ['probes', 'probesSucceeded', 'nacksAnswered', 'nacksRefused', 'retransmittedBytes'])}`);
    await viewer.evaluate((i) => (window as any).sfuTest.stop(i), autoId);

    const highId: number = await viewer.evaluate((a) => (window as any).sfuTest.view(a), { ...(await watch()), layer: 'high' });
    await timeUntil(viewer, highId, (s) => s.frameWidth === 1280, 15);
    await sleep(1000);
    const r0 = (await platform.sfu!.showStats())[0]?.retransmittedBytes ?? 0;
    shape(link);
    const t0 = performance.now();
    await sleep(SHAPED_S * 1000);
    const r1 = (await platform.sfu!.showStats())[0]?.retransmittedBytes ?? 0;
    const shapedS = (performance.now() - t0) / 1000;
    lift(link);
    const retransmitToLinkRatioHigh = (r1 - r0) / ((LINK_BPS / 8) * shapedS);
    log(`fixed high: ${r1 - r0} bytes retransmitted in ${shapedS.toFixed(1)} s`);
    await viewer.evaluate((i) => (window as any).sfuTest.stop(i), highId);
    return { cleanJoinToHighS, stayedHigh, downswitchS, freezeShapedAutoS, upswitchS, retransmitToLinkRatioHigh, metrics, showId };
  } finally {
    for (const u of users) u.socket.close();
    lift(link);
    await viewerBrowser.close();
    await publisherBrowser.close();
    await platform.close();
  }
}

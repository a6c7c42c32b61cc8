/**
 * Spill across workers: a show whose viewers exceed its worker's budget
 * (two viewers here) is served to further viewers by the other worker, fed
 * once from the show's worker over loopback UDP. A spilled Chromium viewer
 * decodes frames and switches layers; a spilled werift viewer's PLI reaches
 * the publisher through the show's worker and brings a fresh keyframe.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Page } from 'playwright-core';
import type { ShowStats } from '../../sfu/engine.ts';
import { createSfu, type Sfu } from '../../sfu/sfu.ts';
import { mintSfuToken } from '../../sfu/tokens.ts';
import { exitSoon, launchBrowser, startOrigin, waitFor, type Browser, type Origin } from './helpers/browser.ts';
import { joinWhep, type WeriftViewerClient } from './helpers/weriftViewer.ts';

const secret = new Uint8Array(32).fill(21);
const SHOW = 'spill-show';
let sfu: Sfu;
let origin: Origin;
let browser: Browser;
let page: Page;
const viewers: WeriftViewerClient[] = [];
let spilled = -1;

interface VideoStats { framesDecoded: number; frameWidth: number; location: string }
const stats = (id: number) => page.evaluate((i) => (window as any).sfuTest.videoStats(i), id) as Promise<VideoStats>;
const whep = () => ({ endpoint: `${origin.url}/whep/${SHOW}`, token: mintSfuToken(secret, { kind: 'whep', showId: SHOW, sub: `v${Math.random()}`, ttlSeconds: 600 }) });
const entries = async (): Promise<ShowStats[]> => (await sfu.engine.showStats()).filter((s) => s.showId === SHOW);
const home = async () => (await entries()).find((s) => !s.relayed)!;
const copy = async () => (await entries()).find((s) => s.relayed);

const spill = suite('a show spills to a second worker');

spill.before(async () => {
  sfu = await createSfu({ workers: 2, listenIp: '127.0.0.1', viewersPerWorker: 2, keyframeIntervalMs: 300 });
  origin = await startOrigin(sfu.engine, secret);
  browser = await launchBrowser();
  page = await browser.page(origin.url);
  const token = mintSfuToken(secret, { kind: 'whip', showId: SHOW, sub: 'model', ttlSeconds: 600 });
  await page.evaluate((a) => (window as any).sfuTest.publish(a), { endpoint: `${origin.url}/whip/${SHOW}`, token, width: 1280, height: 720 });
  await waitFor(async () => {
    const s = (await entries())[0];
    return s && s.layers.length === 3 && s.layers.every((l) => l.bitrateKbps > 0);
  }, 25_000, 'three simulcast layers');
  // Two viewers fill the show's worker.
  for (let i = 0; i < 2; i++) viewers.push(await joinWhep({ ...whep(), layer: 'low' }));
  await waitFor(async () => (await home()).viewers === 2, 15_000, 'two viewers on the show\'s worker');
});

spill.after(async () => {
  for (const v of viewers) await v.close();
  await browser?.close();
  await origin?.close();
  await sfu?.close();
  exitSoon();
});

spill('the third viewer lands on the other worker and decodes frames, fed by one relay', async () => {
  const id = await page.evaluate((a) => (window as any).sfuTest.view(a), { ...whep(), layer: 'low' }) as number;
  spilled = id;
  const c = await waitFor(async () => { const s = await copy(); return s && s.viewers === 1 ? s : undefined; }, 15_000, 'a copy of the show on the other worker');
  const h = await home();
  assert.is.not(c.worker, h.worker, 'the copy is on another worker');
  assert.is(h.viewers, 2, 'the show\'s worker kept its two viewers');
  const low = await waitFor(async () => { const s = await stats(id); return s.framesDecoded >= 10 && s.frameWidth > 0 ? s : undefined; }, 15_000, 'spilled viewer frames');
  assert.ok(low.frameWidth <= 400, `the spilled viewer got the low layer (${low.frameWidth} wide)`);
  assert.is(h.relayFeeds, 1, 'the show\'s worker feeds one relay');
  // The copy receives every layer, so its viewers can be served any of them.
  await waitFor(async () => ((await copy())?.layers.length ?? 0) === 3, 10_000, 'three layers on the copy');

  await page.evaluate(([i, l]) => (window as any).sfuTest.setLayer(i, l), [id, 'high'] as const);
  const high = await waitFor(async () => { const s = await stats(id); return s.frameWidth >= 1000 ? s : undefined; }, 15_000, 'the spilled viewer on the high layer');
  assert.ok(high.framesDecoded > low.framesDecoded, 'frames kept coming through the switch');
  assert.is((await copy())!.viewersPerLayer.high, 1);
});

spill('a PLI from a spilled viewer brings a keyframe from the publisher', async () => {
  const v = await joinWhep(whep());
  viewers.push(v);
  await waitFor(() => v.firstFrameMs() !== undefined, 15_000, 'the werift viewer\'s first frame');
  await waitFor(async () => (await copy())?.viewers === 2, 10_000, 'the werift viewer on the copy');
  const before = { toPublisher: (await home()).keyframeRequestsToPublisher, keyframes: v.keyframes(), fromRelay: (await home()).relayKeyframeRequests };
  // A request landing in the copy's aggregation interval is dropped if a keyframe comes meanwhile: ask until one is forwarded.
  const after = await waitFor(async () => {
    await v.requestKeyframe();
    const h = await home();
    return h.relayKeyframeRequests > before.fromRelay && h.keyframeRequestsToPublisher > before.toPublisher && v.keyframes() > before.keyframes ? h : undefined;
  }, 8000, 'the PLI to travel to the publisher and a keyframe back', 400);
  assert.ok(after.relayKeyframeRequests > before.fromRelay);
  assert.is((await copy())!.keyframeRequestsFromViewers >= 1, true, 'the copy saw the viewer\'s PLI');
});

spill('the copy ends with its last viewer', async () => {
  const v = viewers.pop()!;
  await v.close();
  await page.evaluate((i) => (window as any).sfuTest.stop(i), spilled);
  await waitFor(async () => (await copy()) === undefined, 10_000, 'the copy to end');
  await waitFor(async () => (await home()).relayFeeds === 0, 10_000, 'the relay feed to end');
  assert.is((await home()).viewers, 2, 'the show\'s own viewers are untouched');
});

spill.run();

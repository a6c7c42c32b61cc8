/**
 * Worker processes: a show lives on one worker; killing that worker tells
 * its publisher and viewers (server-sent `reconnect`), they POST again, the
 * show lands on a live worker and the viewers play again within 3 s.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Page } from 'playwright-core';
import { createSfu, type Sfu } from '../../sfu/sfu.ts';
import { mintSfuToken } from '../../sfu/tokens.ts';
import type { WorkerPool } from '../../sfu/worker/WorkerPool.ts';
import { exitSoon, launchBrowser, startOrigin, waitFor, type Browser, type Origin } from './helpers/browser.ts';

const secret = new Uint8Array(32).fill(11);
let sfu: Sfu;
let origin: Origin;
let browser: Browser;
let page: Page;

interface VideoStats { framesDecoded: number; location: string; reconnects: number; state: string }
const stats = (id: number) => page.evaluate((i) => (window as any).sfuTest.videoStats(i), id) as Promise<VideoStats>;
const token = (kind: 'whip' | 'whep', showId: string) => mintSfuToken(secret, { kind, showId, sub: `${kind}-${showId}`, ttlSeconds: 600 });

const workers = suite('sfu worker processes');

workers.before(async () => {
  sfu = await createSfu({ workers: 2, listenIp: '127.0.0.1' });
  origin = await startOrigin(sfu.engine, secret);
  browser = await launchBrowser();
  page = await browser.page(origin.url);
});

workers.after(async () => {
  await browser?.close();
  await origin?.close();
  await sfu?.close();
  exitSoon();
});

workers('shows are placed on the least-loaded worker', async () => {
  const pool = sfu.engine as WorkerPool;
  assert.is(pool.workerPids.filter((p) => p > 0).length, 2);
  for (const show of ['place-a', 'place-b']) {
    await page.evaluate((a) => (window as any).sfuTest.publish(a), { endpoint: `${origin.url}/whip/${show}`, token: token('whip', show), simulcast: false, width: 320, height: 240 });
    await waitFor(() => sfu.engine.hasShow(show), 15_000, `${show} live`);
  }
  const shows = await sfu.engine.showStats();
  const placed = new Set(shows.filter((s) => s.showId.startsWith('place-')).map((s) => s.worker));
  assert.is(placed.size, 2, 'two shows on two idle workers go to different workers');
});

workers('killing a worker: its viewers play again within 3 s', async () => {
  const show = 'crash-show';
  const pool = sfu.engine as WorkerPool;
  await page.evaluate((a) => (window as any).sfuTest.publish(a), { endpoint: `${origin.url}/whip/${show}`, token: token('whip', show), simulcast: false, width: 640, height: 360 });
  await waitFor(() => sfu.engine.hasShow(show), 15_000, 'show live');
  const viewerIds: number[] = [];
  for (let i = 0; i < 2; i++) {
    viewerIds.push(await page.evaluate((a) => (window as any).sfuTest.view(a), { endpoint: `${origin.url}/whep/${show}`, token: token('whep', show) }));
  }
  for (const id of viewerIds) await waitFor(async () => (await stats(id)).framesDecoded >= 10, 15_000, 'viewer playing');
  const before = await Promise.all(viewerIds.map(stats));
  const ended: string[] = [];
  sfu.engine.events.on('showended', (s, reason) => { if (s === show) ended.push(reason); });

  const worker = (await sfu.engine.showStats()).find((s) => s.showId === show)!.worker;
  const pid = pool.workerPids[worker]!;
  const killedAt = Date.now();
  process.kill(pid, 'SIGKILL');

  const recovered = await Promise.all(viewerIds.map((id, i) => waitFor(async () => {
    const s = await stats(id);
    return s.location !== before[i]!.location && s.framesDecoded >= 5 ? Date.now() - killedAt : undefined;
  }, 10_000, 'viewer to play again', 50)));
  console.log(`  viewers playing again ${recovered.join(', ')} ms after the kill`);
  assert.equal(ended, ['worker-died']);
  for (const ms of recovered) assert.ok(ms <= 3000, `viewer played again after ${ms} ms`);
  // The dead worker is replaced.
  await waitFor(() => pool.workerPids.every((p) => p > 0 && p !== pid), 10_000, 'worker restarted');
  const after = (await sfu.engine.showStats()).find((s) => s.showId === show);
  assert.ok(after && after.viewers === 2, 'both viewers are back on the show');
});

workers.run();

/**
 * A publisher whose media stops, end to end: the real platform (chain, SFU
 * worker, signaling) with SFU_STALL_SECONDS=2 and SFU_STALL_END_SECONDS=5, a
 * werift WHIP publisher that stops sending while its connection stays up, a
 * WHEP viewer, and socket.io clients for the model and the viewer. The show
 * is marked stalled within a few seconds (both are told, the show leaves the
 * public list), media back resumes it, and media gone for good ends it.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Platform } from '../../signaling/platform.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import { exitSoon, waitFor } from '../sfu/helpers/browser.ts';
import { joinLight } from '../sfu/helpers/lightViewer.ts';
import { publishWhip } from '../sfu/helpers/weriftPublisher.ts';
import { login, next, ok } from '../signaling/helpers.ts';

const STALL_SECONDS = 2;
const STALL_END_SECONDS = 5;

const t = suite<{ platform: Platform }>('a stalled show, end to end');

t.before(async (ctx) => {
  ctx.platform = await startTestPlatform({
    SERVE_CLIENT: 'false', SFU_STALL_SECONDS: String(STALL_SECONDS), SFU_STALL_END_SECONDS: String(STALL_END_SECONDS),
  });
});

t.after(async (ctx) => {
  await ctx.platform?.close();
  exitSoon();
});

t('media that stops: stalled and told within seconds, resumed with the media, ended when it does not come back', async ({ platform }) => {
  const model = await login(platform.url, 'model');
  const viewer = await login(platform.url, 'client');
  await ok(viewer.socket, 'directory:subscribe', {});
  const opened = await ok(model.socket, 'show:open', {});
  const isPublic = next(viewer.socket, 'directory:update', (e) => e.key === model.key && e.status === 'public', 15_000);
  const publisher = await publishWhip(opened.whipUrl, opened.whipToken);
  try {
    await isPublic;
    const watch = await ok(viewer.socket, 'show:watch', { model: model.key });
    const whep = await joinLight(watch.whepUrl, watch.whepToken);
    assert.is(whep.status, 201);
    assert.ok(await whep.connected, 'viewer connected');
    await waitFor(() => whep.packets() > 50, 10_000, 'viewer receiving');

    const viewerTold = next(viewer.socket, 'show:stalled', () => true, 10_000);
    const modelTold = next(model.socket, 'show:stalled', () => true, 10_000);
    const offList = next(viewer.socket, 'directory:update', (e) => e.key === model.key && e.status === 'online', 10_000);
    publisher.pause();
    const pausedAt = performance.now();
    assert.equal(await viewerTold, { showId: opened.showId, stalled: true });
    const toldMs = performance.now() - pausedAt;
    assert.equal(await modelTold, { showId: opened.showId, stalled: true });
    assert.is((await offList).showId, opened.showId);
    console.log(`  viewer told of the stall ${Math.round(toldMs)} ms after the publisher stopped`);
    assert.ok(toldMs <= STALL_SECONDS * 1000 + 1500, `told after ${toldMs} ms`);

    const resumed = next(viewer.socket, 'show:stalled', (e) => !e.stalled, 10_000);
    const listed = next(viewer.socket, 'directory:update', (e) => e.key === model.key && e.status === 'public', 10_000);
    publisher.resume();
    assert.equal(await resumed, { showId: opened.showId, stalled: false });
    await listed;
    const before = whep.packets();
    await waitFor(() => whep.packets() > before + 20, 5000, 'viewer receiving again');

    const ended = next(viewer.socket, 'show:ended', () => true, 20_000);
    const modelEnded = next(model.socket, 'show:ended', () => true, 20_000);
    publisher.pause();
    const stoppedAt = performance.now();
    assert.equal(await ended, { showId: opened.showId, reason: 'disconnected' });
    const endedMs = performance.now() - stoppedAt;
    await modelEnded;
    console.log(`  show ended ${Math.round(endedMs)} ms after the publisher stopped for good`);
    assert.ok(endedMs >= (STALL_SECONDS + STALL_END_SECONDS) * 1000 - 500, `ended after ${endedMs} ms`);
    assert.ok(endedMs <= (STALL_SECONDS + STALL_END_SECONDS) * 1000 + 2500, `ended after ${endedMs} ms`);
    const after = await ok(viewer.socket, 'directory:subscribe', {});
    assert.is(after.models.find((m) => m.key === model.key)?.showId ?? null, null, 'the show is gone from the directory');
    await whep.close();
  } finally {
    await publisher.close();
    model.socket.close();
    viewer.socket.close();
  }
});

t.run();

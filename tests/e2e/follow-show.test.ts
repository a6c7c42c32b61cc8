/**
 * The pages follow the SFU (real Chromium, the real platform): the studio says "You are live." only once the
 * show's directory entry is public (media reached the SFU), not when the WHIP answer came back; the viewer page
 * stops playing on `show:ended` and plays the model's next show by itself when the model goes live again.
 */
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Platform } from '../../signaling/platform.ts';
import type { DirectoryEntry } from '../../signaling/protocol.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';
import { call, client as socketTo, connected } from '../signaling/helpers.ts';

interface Ctx { platform: Platform; browser: Browser; model: Page; viewer: Page; modelKey: string }
const follow = suite<Ctx>('studio and viewer follow the SFU');

follow.before(async (ctx) => {
  await buildClient();
  ctx.platform = await startTestPlatform();
  ctx.browser = await launchChromium();
  ctx.model = await ctx.browser.context.newPage();
  ctx.viewer = await ctx.browser.context.newPage();
});

follow.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.platform?.close();
});

/** The model's directory entry, as anyone reads it. */
async function entryOf(url: string, key?: string): Promise<DirectoryEntry | undefined> {
  const s = socketTo(url);
  await connected(s);
  const dir = await call(s, 'directory:subscribe', {});
  s.close();
  return dir.ok ? dir.models.find((m) => (key ? m.key === key : true)) : undefined;
}

const status = (page: Page) => page.locator('#status').textContent().then((t) => t!.trim());

/** Video frames the viewer's <video> presents in the next `ms` (requestVideoFrameCallback). */
function framesWithin(page: Page, ms: number): Promise<number> {
  // A string, not a function: tsx would wrap named inner functions in a helper the page does not have.
  return page.evaluate(`new Promise((resolve) => {
    const video = document.querySelector('live-app').shadowRoot.querySelector('live-viewer').shadowRoot.querySelector('video');
    let frames = 0;
    const count = () => { frames++; video.requestVideoFrameCallback(count); };
    video.requestVideoFrameCallback(count);
    setTimeout(() => resolve(frames), ${ms});
  })`) as Promise<number>;
}

follow('the studio does not say live while its media does not reach the server', async (ctx) => {
  const { model } = ctx;
  // As if media never made it: the WHIP answer comes back, but with another DTLS fingerprint, so no media flows.
  await model.route('**/whip/**', async (route) => {
    const res = await route.fetch();
    if (route.request().method() !== 'POST' || res.status() !== 201) return route.fulfill({ response: res });
    const sdp = (await res.text()).replace(/a=fingerprint:sha-256 [0-9A-F:]+/gi, `a=fingerprint:sha-256 ${Array(32).fill('AB').join(':')}`);
    await route.fulfill({ response: res, body: sdp });
  });
  await model.goto(`${ctx.platform.url}/#/studio`);
  await model.locator('#pseudonym').filter({ hasNotText: '…' }).waitFor({ timeout: 20_000 });
  await model.locator('#golive').click();
  await model.locator('#status').filter({ hasText: 'Sending your video to the server' }).waitFor({ timeout: 20_000 });
  ctx.modelKey = (await entryOf(ctx.platform.url))!.key;
  // Media cannot reach the SFU: for as long as we look, the entry stays online and the studio does not say live.
  const end = Date.now() + 3_000;
  while (Date.now() < end) {
    assert.is((await entryOf(ctx.platform.url, ctx.modelKey))?.status, 'online');
    assert.not.match(await status(model), /You are live/);
    await model.waitForTimeout(250);
  }
  await model.locator('#end').click();
  await model.locator('#golive').waitFor({ timeout: 10_000 });
  await model.unrouteAll();
});

follow('with media flowing, the studio says live when the directory lists the show public', async (ctx) => {
  const { model } = ctx;
  await model.locator('#golive').click();
  await model.locator('#status').filter({ hasText: 'You are live.' }).waitFor({ timeout: 20_000 });
  const entry = await entryOf(ctx.platform.url, ctx.modelKey);
  assert.is(entry?.status, 'public');
  assert.ok(entry?.showId, 'the public entry names the show');
});

follow('the viewer plays, stops on show:ended, and plays the next show when the model goes live again', async (ctx) => {
  const { model, viewer } = ctx;
  await viewer.bringToFront(); // a page in the background is not painted: no frame would be presented
  await viewer.goto(`${ctx.platform.url}/#/watch/${ctx.modelKey}`);
  await viewer.locator('#status').filter({ hasText: 'Watching' }).waitFor({ timeout: 20_000 });
  assert.ok(await framesWithin(viewer, 1_500) > 0, 'frames are presented');
  const first = (await entryOf(ctx.platform.url, ctx.modelKey))!.showId;

  await model.locator('#end').click();
  await viewer.locator('#status').filter({ hasText: 'The show has ended.' }).waitFor({ timeout: 15_000 });
  assert.is(await viewer.locator('video#remote').evaluate((v: HTMLVideoElement) => v.srcObject), null, 'the playback stopped');
  assert.is(await viewer.locator('live-chat').count(), 0, 'the ended show\'s chat is gone');

  // The viewer does nothing: its page picks the new show up from the directory.
  await model.locator('#golive').click();
  await model.locator('#status').filter({ hasText: 'You are live.' }).waitFor({ timeout: 20_000 });
  const second = (await entryOf(ctx.platform.url, ctx.modelKey))!.showId;
  assert.ok(second && second !== first, 'a new show');
  await viewer.locator('#status').filter({ hasText: 'Watching' }).waitFor({ timeout: 20_000 });
  const end = Date.now() + 15_000;
  let frames = await framesWithin(viewer, 500);
  while (frames === 0 && Date.now() < end) frames = await framesWithin(viewer, 500);
  assert.ok(frames > 0, 'the new show\'s frames are presented');
  await viewer.locator('live-chat').waitFor({ timeout: 5_000 });
});

follow.run();

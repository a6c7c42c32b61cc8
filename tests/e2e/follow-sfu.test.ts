/**
 * Signaling follows the SFU: the directory says `public` only once the
 * publisher's media has reached the SFU, so a viewer who asks to watch at the
 * moment the directory says so always gets media. The real platform (chain,
 * SFU worker, signaling), a Chromium publisher with the fake camera over WHIP,
 * a werift WHEP viewer, and socket.io clients for the model and the viewer.
 */
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Platform } from '../../signaling/platform.ts';
import type { DirectoryEntry } from '../../signaling/protocol.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { exitSoon, waitFor } from '../sfu/helpers/browser.ts';
import { PAGE_SCRIPT } from '../sfu/helpers/pageScript.ts';
import { joinWhep, type WeriftViewerClient } from '../sfu/helpers/weriftViewer.ts';
import { call, login, next, ok, until, type User } from '../signaling/helpers.ts';

/** A viewer that asks within this long of the `public` push must get media. */
const ASK_WITHIN_MS = 50;
const ROUNDS = 5;

interface Ctx { platform: Platform; browser: Browser; page: Page }
const t = suite<Ctx>('signaling follows the SFU');

t.before(async (ctx) => {
  ctx.platform = await startTestPlatform({ SERVE_CLIENT: 'false' });
  ctx.browser = await launchChromium();
  // Any page of the platform's origin will do for the WHIP helpers (the client is not built here).
  ctx.page = await ctx.browser.context.newPage();
  await ctx.page.goto(`${ctx.platform.url}/healthz`);
  await ctx.page.addScriptTag({ content: PAGE_SCRIPT });
});

t.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.platform?.close();
  exitSoon();
});

interface Asked { askedAfterMs: number; whepAfterMs: number; entry: DirectoryEntry; viewer?: WeriftViewerClient; error?: string }

/** Arms the viewer: on the model's first `public` push it asks to watch at once, then joins over WHEP. */
function watchOnPublic(platform: Platform, viewer: User, model: string): Promise<Asked> {
  return new Promise((resolve) => {
    const onUpdate = (entry: DirectoryEntry) => {
      if (entry.key !== model || entry.status !== 'public') return;
      viewer.socket.off('directory:update', onUpdate);
      const pushedAt = performance.now();
      const watching = call(viewer.socket, 'show:watch', { model });
      const askedAfterMs = performance.now() - pushedAt;
      void watching.then(async (watch) => {
        const whepAfterMs = performance.now() - pushedAt;
        if (!watch.ok) return resolve({ askedAfterMs, whepAfterMs, entry, error: `show:watch: ${watch.error.code} ${watch.error.message}` });
        try {
          const joined = await joinWhep({ endpoint: watch.whepUrl, token: watch.whepToken });
          resolve({ askedAfterMs, whepAfterMs, entry, viewer: joined });
        } catch (err) {
          resolve({ askedAfterMs, whepAfterMs, entry, error: (err as Error).message });
        }
      });
    };
    viewer.socket.on('directory:update', onUpdate);
  });
}

t(`a viewer who asks to watch within ${ASK_WITHIN_MS} ms of the directory saying public always gets media`, async ({ platform, page }) => {
  for (let round = 1; round <= ROUNDS; round++) {
    const model = await login(platform.url, 'model');
    const viewer = await login(platform.url, 'client');
    await ok(viewer.socket, 'directory:subscribe', {});
    const asked = watchOnPublic(platform, viewer, model.key);

    const opened = await ok(model.socket, 'show:open', {});
    const publisher = await page.evaluate((a) => (window as any).sfuTest.publish(a), {
      endpoint: opened.whipUrl, token: opened.whipToken, simulcast: false, width: 320, height: 240,
    }) as number;

    const r = await asked;
    assert.is(r.entry.showId, opened.showId, `round ${round}: the public entry names the show`);
    assert.ok(r.askedAfterMs < ASK_WITHIN_MS, `round ${round}: asked ${r.askedAfterMs.toFixed(1)} ms after the push`);
    assert.is(r.error, undefined, `round ${round}: watching right after the public push failed (${r.whepAfterMs.toFixed(0)} ms after it): ${r.error}`);
    const v = r.viewer!;
    await waitFor(() => v.firstFrameMs() !== undefined, 15_000, `round ${round}: a whole video frame at the viewer`);
    console.log(`  round ${round}: show:watch sent ${r.askedAfterMs.toFixed(1)} ms and WHEP posted ${r.whepAfterMs.toFixed(1)} ms after the public push; first frame ${v.firstFrameMs()!.toFixed(0)} ms after the POST`);
    assert.ok(v.audioPackets() > 0 || (await waitFor(() => v.audioPackets() > 0, 5_000, 'audio')), `round ${round}: audio too`);

    // The directory's count is the engine's: one WHEP session, then none.
    const count = async () => (await ok(viewer.socket, 'directory:subscribe', {})).models.find((m) => m.key === model.key)?.viewers;
    await until(async () => (await count()) === 1, 5_000, `round ${round}: a count of 1`);
    await v.close();
    await until(async () => (await count()) === 0, 5_000, `round ${round}: a count of 0`);

    const ended = next(viewer.socket, 'show:ended', (e) => e.showId === opened.showId);
    await ok(model.socket, 'show:close', {});
    assert.is((await ended).reason, 'ended');
    await page.evaluate((id) => (window as any).sfuTest.stop(id), publisher);
    model.socket.close();
    viewer.socket.close();
  }
});

t('a viewer who asks before any media gets a clear NOT_FOUND, not an SFU error', async ({ platform }) => {
  const model = await login(platform.url, 'model');
  const viewer = await login(platform.url, 'client');
  const opened = await ok(model.socket, 'show:open', {});
  const early = await call(viewer.socket, 'show:watch', { model: model.key });
  assert.is(early.ok ? null : early.error.code, 'NOT_FOUND');
  assert.is((await ok(viewer.socket, 'directory:subscribe', {})).models.find((m) => m.key === model.key)?.status, 'online');
  await ok(model.socket, 'show:close', {});
  assert.is(await platform.signaling.store.getShow(opened.showId), null);
  model.socket.close();
  viewer.socket.close();
});

t.run();

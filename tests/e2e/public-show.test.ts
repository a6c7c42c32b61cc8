/**
 * Foundation end to end: a model goes live from the studio page (camera →
 * WHIP → SFU) and a viewer in another page finds the show in the directory
 * and plays it (SFU → WHEP), all in real Chromium with the fake camera.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Platform } from '../../signaling/platform.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';
import { keyVisual } from '../../client/services/key-visual.ts';
import { pseudonymOf } from '../../crypto/identity.ts';
import { login, ok } from '../signaling/helpers.ts';

interface Ctx { platform: Platform; browser: Browser; model: Page; viewer: Page }
const show = suite<Ctx>('public show in the browser');

show.before(async (ctx) => {
  await buildClient();
  ctx.platform = await startTestPlatform();
  ctx.browser = await launchChromium();
  ctx.model = await ctx.browser.context.newPage();
  ctx.viewer = await ctx.browser.context.newPage();
  // Test-only instrumentation: remember every peer connection so getStats() can be read.
  await ctx.viewer.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    const seen: RTCPeerConnection[] = [];
    (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = seen;
    window.RTCPeerConnection = class extends Native {
      constructor(config?: RTCConfiguration) { super(config); seen.push(this); }
    };
  });
});

show.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.platform?.close();
});

/** The viewer's inbound video stats (getStats) and the brightness of a frame of its <video>. */
async function viewerVideo(page: Page): Promise<{ framesDecoded: number; width: number; height: number; meanLuma: number; lumaSpread: number }> {
  return page.evaluate(async () => {
    const viewer = document.querySelector('live-app')!.shadowRoot!.querySelector('live-viewer')!;
    const video = viewer.shadowRoot!.querySelector('video')!;
    let framesDecoded = 0;
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded += s.framesDecoded ?? 0;
      });
    }
    const canvas = document.createElement('canvas');
    canvas.width = 160;
    canvas.height = 120;
    const g = canvas.getContext('2d')!;
    g.drawImage(video, 0, 0, canvas.width, canvas.height);
    const { data } = g.getImageData(0, 0, canvas.width, canvas.height);
    let sum = 0; let min = 255; let max = 0;
    for (let i = 0; i < data.length; i += 4) {
      const luma = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
      sum += luma; min = Math.min(min, luma); max = Math.max(max, luma);
    }
    return { framesDecoded, width: video.videoWidth, height: video.videoHeight, meanLuma: sum / (data.length / 4), lumaSpread: max - min };
  });
}

show('the model goes live from the studio', async ({ platform, model }) => {
  await model.goto(`${platform.url}/#/studio`);
  await model.locator('#pseudonym').filter({ hasNotText: '…' }).waitFor({ timeout: 15_000 });
  await model.locator('#golive').click();
  await model.locator('#status').filter({ hasText: 'You are live.' }).waitFor({ timeout: 20_000 });
});

show('the viewer finds the show in the directory and plays it', async ({ platform, viewer }) => {
  await viewer.goto(`${platform.url}/#/`);
  const card = viewer.locator('li a[data-model]');
  await card.first().waitFor({ timeout: 15_000 });
  assert.is(await card.count(), 1, 'one live show listed');
  // The card shows the identity of the full key: its picture, fingerprint and pseudonym, derived in the browser.
  const modelKey = (await card.first().getAttribute('data-model'))!;
  const expected = await keyVisual(modelKey);
  const picture = card.first().locator('identity-badge svg[role="img"]');
  await picture.waitFor({ timeout: 10_000 });
  assert.is(await picture.getAttribute('data-fingerprint'), expected.fingerprint);
  assert.is(await picture.getAttribute('aria-label'), `identity picture of ${await pseudonymOf(modelKey)}, fingerprint ${expected.fingerprint}`);
  assert.is(await card.first().locator('identity-badge .fp').innerText(), expected.fingerprint, 'the fingerprint is on screen');
  assert.is(await picture.locator('rect').count(), expected.cells.flat().filter((c) => c !== 0).length, 'the picture has the key\'s cells');
  assert.is(await card.first().locator('identity-badge .lookalike').count(), 0, 'no lookalike warning for a key never pinned otherwise');
  // A pseudonym this browser pinned to another key (a copycat's name): the card says so.
  const pseudonym = await pseudonymOf(modelKey);
  const pinnedElsewhere = (pin: object | null) => viewer.evaluate(([name, value]) => new Promise<void>((resolve, reject) => {
    const open = indexedDB.open('livecam-pins');
    open.onupgradeneeded = () => open.result.createObjectStore('pins');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction('pins', 'readwrite');
      if (value) tx.objectStore('pins').put(value, name as string); else tx.objectStore('pins').delete(name as string);
      tx.oncomplete = () => { open.result.close(); resolve(); };
      tx.onerror = () => reject(tx.error);
    };
  }), [pseudonym, pin] as const);
  await pinnedElsewhere({ key: 'B'.repeat(43), pseudonym, source: 'link', firstSeen: Date.now() });
  await viewer.reload();
  await card.first().locator('identity-badge .lookalike').filter({ hasText: `Not the ${pseudonym} you saw before` }).waitFor({ timeout: 10_000 });
  await pinnedElsewhere(null);
  await viewer.reload();
  await card.first().locator('identity-badge svg[role="img"]').waitFor({ timeout: 10_000 });
  await card.first().click();
  await viewer.locator('#model-identity svg[role="img"]').waitFor({ timeout: 10_000 });
  assert.is(await viewer.locator('#model-identity svg[role="img"]').getAttribute('data-fingerprint'), expected.fingerprint, 'the watch page shows the same identity');
  // The watch page pins the link's key under its pseudonym: a later lookalike is caught.
  const pinnedKey = () => viewer.evaluate((name) => new Promise<unknown>((resolve) => {
    const open = indexedDB.open('livecam-pins');
    open.onsuccess = () => {
      const req = open.result.transaction('pins').objectStore('pins').get(name);
      req.onsuccess = () => { open.result.close(); resolve((req.result as { key?: string } | undefined)?.key ?? null); };
      req.onerror = () => resolve(null);
    };
    open.onerror = () => resolve(null);
  }), pseudonym);
  const pinDeadline = Date.now() + 10_000;
  while ((await pinnedKey()) !== modelKey && Date.now() < pinDeadline) await viewer.waitForTimeout(100);
  assert.is(await pinnedKey(), modelKey, 'the model\'s key is pinned');
  await viewer.locator('#status').filter({ hasText: 'Watching' }).waitFor({ timeout: 15_000 });

  // Frames keep coming: wait for them rather than sleeping a fixed time.
  const deadline = Date.now() + 20_000;
  let video = await viewerVideo(viewer);
  while (video.framesDecoded < 20 && Date.now() < deadline) {
    await viewer.waitForTimeout(250);
    video = await viewerVideo(viewer);
  }
  assert.ok(video.framesDecoded > 0, `frames decoded: ${video.framesDecoded}`);
  assert.ok(video.width > 0 && video.height > 0, `video size ${video.width}x${video.height}`);
  // The fake camera draws a bright pattern: a black or frozen-blank frame has a tiny spread.
  assert.ok(video.meanLuma > 20, `mean luma ${video.meanLuma.toFixed(1)}`);
  assert.ok(video.lumaSpread > 40, `luma spread ${video.lumaSpread.toFixed(1)}`);
});

show('a screenshot of the playing video, for humans', async ({ viewer }) => {
  const dir = join(tmpdir(), 'livecam-screenshots');
  mkdirSync(dir, { recursive: true });
  const png = await viewer.locator('video#remote').screenshot({ path: join(dir, 'viewer.png') });
  assert.ok(png.length > 5_000, `a near-empty PNG (${png.length} bytes) means a blank video`);
});

show('ending the show tells the viewer', async ({ model, viewer }) => {
  await model.locator('#end').click();
  await viewer.locator('#status').filter({ hasText: 'ended' }).waitFor({ timeout: 15_000 });
});

show('following another model\'s link from a watch page shows that model, not the last one', async ({ platform, viewer }) => {
  const other = await login(platform.url, 'model');
  await ok(other.socket, 'model:setPrice', { pricePerMinute: '2000000000000000000', minMinutes: 3 });
  await viewer.evaluate((key) => { location.hash = `#/watch/${key}`; }, other.key);
  await viewer.locator(`live-viewer identity-badge[public-key="${other.key}"]`).first().waitFor({ timeout: 15_000 });
  await viewer.locator(`live-viewer private-offer[model-key="${other.key}"][model="${other.pseudonym}"]`).waitFor({ timeout: 15_000 });
  assert.is(await viewer.locator('live-viewer').count(), 1);
  other.socket.close();
});

show('/healthz answers 200 with every part up', async ({ platform }) => {
  const res = await fetch(`${platform.url}/healthz`);
  assert.is(res.status, 200);
  const body = await res.json() as { ok: boolean; parts: Record<string, boolean> };
  assert.is(body.ok, true);
  assert.equal(Object.values(body.parts).every(Boolean), true);
});

show.run();

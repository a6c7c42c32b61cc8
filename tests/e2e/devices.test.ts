/**
 * Camera and microphone in the studio (real Chromium with three fake cameras, the real platform): the picker
 * lists the devices, the level meter moves with the fake microphone's sound, switching the camera while live
 * replaces the track on the WHIP connection (the show stays live, the viewer keeps decoding, no new publisher
 * at the SFU), and a browser that refuses the permission gets a clear state with what to do.
 */
import { until } from '../helpers/poll.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser as PwBrowser, type BrowserContext, type Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Platform } from '../../signaling/platform.ts';
import { CHROMIUM_ARGS } from '../helpers/chromium.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';
import { collectConsoleErrors } from '../helpers/page-errors.ts';

interface Ctx { platform: Platform; context: BrowserContext; profile: string; model: Page; viewer: Page; errors: string[]; refusing?: PwBrowser }
const devices = suite<Ctx>('camera and microphone in the studio');

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

devices.before(async (ctx) => {
  await buildClient();
  ctx.platform = await startTestPlatform();
  ctx.profile = mkdtempSync(join(tmpdir(), 'livecam-devices-'));
  const args = CHROMIUM_ARGS.map((a) => (a === '--use-fake-device-for-media-stream' ? `${a}=device-count=3` : a));
  ctx.context = await chromium.launchPersistentContext(ctx.profile, { executablePath, headless: true, args, viewport: { width: 1280, height: 900 } });
  ctx.model = await ctx.context.newPage();
  ctx.viewer = await ctx.context.newPage();
  ctx.errors = [];
  collectConsoleErrors(ctx.model, ctx.errors);
  collectConsoleErrors(ctx.viewer, ctx.errors);
});

devices.after(async (ctx) => {
  await ctx.refusing?.close().catch(() => undefined);
  await ctx.context?.close().catch(() => undefined);
  if (ctx.profile) rmSync(ctx.profile, { recursive: true, force: true });
  await ctx.platform?.close();
});


const options = (page: Page, id: string) => page.locator(`#${id} option`).evaluateAll((os) => os.map((o) => ({ value: (o as HTMLOptionElement).value, label: o.textContent!.trim(), selected: (o as HTMLOptionElement).selected })));
const level = (page: Page) => page.locator('#mic-level').evaluate((m) => (m as HTMLMeterElement).value);
/** The device id of the video track the studio's WHIP connection sends. */
const sentCamera = (page: Page) => page.evaluate(`(() => {
  const pcs = window.__pcs || [];
  for (const pc of pcs) for (const s of pc.getSenders()) if (s.track && s.track.kind === 'video' && pc.connectionState !== 'closed') return s.track.getSettings().deviceId;
  return '';
})()`) as Promise<string>;
/** Video frames the viewer decoded so far (getStats inbound-rtp). */
const decoded = (page: Page) => page.evaluate(`(async () => {
  let frames = 0;
  for (const pc of window.__pcs || []) (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded || 0; });
  return frames;
})()`) as Promise<number>;

const REMEMBER_PCS = `(() => {
  const Native = window.RTCPeerConnection;
  const seen = [];
  window.__pcs = seen;
  window.RTCPeerConnection = class extends Native { constructor(c) { super(c); seen.push(this); } };
})()`;

devices('the picker lists the fake cameras and microphones, shows the preview and the level moves', async ({ platform, model }) => {
  await model.addInitScript(REMEMBER_PCS);
  await model.goto(`${platform.url}/#/studio`);
  await model.locator('#pseudonym').filter({ hasNotText: '…' }).waitFor({ timeout: 15_000 });
  await model.locator('#camera-on').click();
  const cameras = await until(() => options(model, 'camera-select'), (o) => o.length >= 2 && o.every((x) => x.value !== ''), 10_000, 'two cameras');
  assert.is(cameras.filter((c) => c.selected).length, 1, 'the camera in use is selected');
  const mics = await options(model, 'microphone-select');
  assert.ok(mics.length >= 1 && mics[0]!.value !== '', `a microphone: ${JSON.stringify(mics)}`);
  // The choice is enabled once the devices are open.
  await model.locator('#camera-select:enabled').waitFor({ timeout: 10_000 });
  // The preview plays the camera.
  await until(() => model.locator('#preview').evaluate((v) => (v as HTMLVideoElement).videoWidth), (w) => w > 0, 10_000, 'preview frames');
  // The fake microphone beeps: the meter goes above zero.
  const peak = await until(() => level(model), (l) => l > 0.01, 10_000, 'a level above zero');
  assert.ok(peak > 0.01 && peak <= 1, `level ${peak}`);
  assert.is(await model.locator('#mic-level').getAttribute('aria-labelledby'), 'mic-level-label');
});

devices('switching the camera while live keeps the show live and the viewer decoding', async ({ platform, model, viewer }) => {
  await model.locator('#golive').click();
  await model.locator('#status').filter({ hasText: 'You are live.' }).waitFor({ timeout: 20_000 });
  const first = await until(() => sentCamera(model), (id) => id !== '', 10_000, 'the sent camera');

  await viewer.addInitScript(REMEMBER_PCS);
  await viewer.goto(`${platform.url}/#/`);
  await viewer.locator('li a[data-model]').first().click();
  await viewer.locator('#status').filter({ hasText: 'Watching' }).waitFor({ timeout: 15_000 });
  await until(() => decoded(viewer), (n) => n > 20, 20_000, 'viewer frames');
  const showsBefore = (await platform.sfu!.showStats()).length;

  // Chromium's second fake camera is a 16-bit depth camera that no video encoder takes: switch to the third.
  const other = (await options(model, 'camera-select')).find((o) => !o.selected && o.label === 'fake_device_2')!;
  assert.ok(other, 'a third fake camera');
  await model.locator('#camera-select').selectOption(other.value);
  await until(() => sentCamera(model), (id) => id === other.value, 10_000, 'the WHIP connection sends the other camera');
  assert.is.not(other.value, first);
  const afterSwitch = await decoded(viewer);
  await until(() => decoded(viewer), (n) => n > afterSwitch + 40, 20_000, 'the viewer keeps decoding after the switch');
  assert.ok((await model.locator('#status').innerText()).includes('You are live.'), 'still live');
  assert.is(await model.locator('#end').count(), 1, 'the show was not ended');
  assert.ok((await viewer.locator('#status').innerText()).startsWith('Watching'), 'the viewer was not told the show ended');
  assert.is((await platform.sfu!.showStats()).length, showsBefore, 'one show at the SFU: the track was replaced, not republished');
  const selected = (await options(model, 'camera-select')).find((o) => o.selected);
  assert.is(selected?.value, other.value, 'the picker shows the camera in use');
  // The viewer leaves first: on a show's end the player's DELETE of a session the SFU already closed logs a 404.
  await viewer.close();
  await model.locator('#end').click();
  await model.locator('#golive').waitFor({ timeout: 10_000 });
});

devices('a browser without the permission shows the denied state and what to do', async (ctx) => {
  // Without the fake permission UI, Chromium refuses camera and microphone to a page nobody granted them.
  ctx.refusing = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS.filter((a) => a !== '--use-fake-ui-for-media-stream') });
  const context = await ctx.refusing.newContext({ permissions: [] });
  const page = await context.newPage();
  collectConsoleErrors(page, ctx.errors);
  await page.goto(`${ctx.platform.url}/#/studio`);
  await page.locator('#pseudonym').filter({ hasNotText: '…' }).waitFor({ timeout: 15_000 });
  await page.locator('#camera-on').click();
  const denied = page.locator('#devices-denied');
  await denied.waitFor({ timeout: 10_000 });
  assert.ok((await denied.innerText()).includes('Camera and microphone are blocked for this site.'));
  assert.ok((await denied.innerText()).includes('site settings'), 'it says what to do');
  assert.is(await page.locator('#camera-select').isDisabled(), true);
  await page.locator('#golive').click();
  await page.locator('#status').filter({ hasText: 'Cannot go live: This site may not use your camera or microphone.' }).waitFor({ timeout: 10_000 });
  assert.is(await page.locator('#end').count(), 0, 'no show was opened');
  // Granted later (the site settings), "Try again" opens them.
  await context.grantPermissions(['camera', 'microphone']);
  await page.locator('#devices-retry').click();
  await until(() => options(page, 'camera-select'), (o) => o.length >= 1 && o[0]!.value !== '', 10_000, 'the camera after the grant');
  assert.is(await denied.count(), 0);
  await context.close();
});

devices('no console error on the way', ({ errors }) => {
  assert.equal(errors, []);
});

devices.run();

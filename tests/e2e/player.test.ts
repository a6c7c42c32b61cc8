/**
 * The watch page's player in real Chromium against the real platform (two SFU workers, its own coturn): the quality
 * menu moves the viewer to another simulcast layer (the SFU says so, and the decoded picture shrinks), mute and the
 * volume slider drive the video, full screen works from the keyboard-reachable button, and when the SFU worker
 * holding the show is killed the player joins again by itself and frames flow again, offering with the ICE servers
 * the WHEP answer's `Link` headers named. The platform sends no ICE server in `Link` unless configured, so the test
 * adds one (its coturn, with REST credentials) to the real answers, as a configured SFU would.
 */
import { waitFor } from '../sfu/helpers/browser.ts';
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Platform } from '../../signaling/platform.ts';
import type { WorkerPool } from '../../sfu/worker/WorkerPool.ts';
import { turnCredentials } from '../../signaling/turn.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';

interface Ctx { platform: Platform; browser: Browser; model: Page; viewer: Page; errors: string[]; turnUrl: string; modelKey: string; showId: string }
const t = suite<Ctx>('the watch page\'s player');

const until = <T>(fn: () => Promise<T>, timeoutMs: number, what: string) => waitFor(fn, timeoutMs, what, 150);

interface PcView { index: number; state: string; framesDecoded: number; iceServers: string[]; configured: string[]; relayOffered: boolean }

/** Every peer connection the viewer page made (test-only instrumentation), newest last. */
function connections(page: Page): Promise<PcView[]> {
  return page.evaluate(async () => {
    const seen = (window as unknown as { __pcs: { pc: RTCPeerConnection; config: RTCConfiguration }[] }).__pcs;
    return Promise.all(seen.map(async ({ pc, config }, index) => {
      let framesDecoded = 0;
      if (pc.connectionState !== 'closed') {
        (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded += s.framesDecoded ?? 0; });
      }
      const live = pc.connectionState === 'closed' ? [] : pc.getConfiguration().iceServers ?? [];
      return {
        index, state: pc.connectionState, framesDecoded,
        configured: (config.iceServers ?? []).flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls])),
        iceServers: live.flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls])),
        relayOffered: / typ relay /.test(pc.localDescription?.sdp ?? ''),
      };
    }));
  });
}

const video = (page: Page) => page.locator('live-viewer video#remote');
const videoProps = (page: Page) => video(page).evaluate((v: HTMLVideoElement) => ({ muted: v.muted, volume: v.volume, width: v.videoWidth, height: v.videoHeight }));

t.before(async (ctx) => {
  await buildClient();
  ctx.platform = await startTestPlatform({ SFU_WORKERS: '2' });
  assert.ok(ctx.platform.turn, 'the platform started its coturn');
  ctx.browser = await launchChromium();
  ctx.errors = [];
  ctx.model = await ctx.browser.context.newPage();
  ctx.viewer = await ctx.browser.context.newPage();
  for (const [name, page] of [['model', ctx.model], ['viewer', ctx.viewer]] as const) {
    // A favicon the app does not have yet is the browser's request, not the app's error.
    page.on('console', (m) => { if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) ctx.errors.push(`${name}: ${m.text()} (${m.location().url})`); });
    page.on('pageerror', (e) => ctx.errors.push(`${name}: ${String(e)}`));
  }
  await ctx.viewer.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    const seen: { pc: RTCPeerConnection; config: RTCConfiguration }[] = [];
    (window as unknown as { __pcs: typeof seen }).__pcs = seen;
    window.RTCPeerConnection = class extends Native {
      constructor(config?: RTCConfiguration) { super(config); seen.push({ pc: this, config: config ?? {} }); }
    };
  });
  // Each WHEP answer also names the platform's coturn, with fresh credentials, in a `Link` header.
  const turn = ctx.platform.turn!;
  ctx.turnUrl = turn.urls[0]!;
  await ctx.viewer.route((url) => /^\/whep\/[^/]+$/.test(url.pathname), async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const response = await route.fetch();
    const creds = turnCredentials([ctx.turnUrl], turn.secret, 600);
    const link = `<${ctx.turnUrl}>; rel="ice-server"; username="${creds.username}"; credential="${creds.credential}"; credential-type="password"`;
    const headers = { ...response.headers(), link: [response.headers().link, link].filter(Boolean).join(', ') };
    await route.fulfill({ response, headers });
  });
});

t.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.platform?.close();
});

t('the viewer plays the show, muted until asked, with the controls labelled', async (ctx) => {
  const { platform, model, viewer } = ctx;
  await model.goto(`${platform.url}/#/studio`);
  await model.locator('#pseudonym').filter({ hasNotText: '…' }).waitFor({ timeout: 20_000 });
  await model.locator('#golive').click();
  await model.locator('#status').filter({ hasText: 'You are live.' }).waitFor({ timeout: 30_000 });
  const [entry] = (await platform.signaling.store.listOnline()).filter((e) => e.status === 'public');
  ctx.modelKey = entry!.key;
  ctx.showId = entry!.showId!;
  await viewer.bringToFront();
  await viewer.goto(`${platform.url}/#/watch/${ctx.modelKey}`);
  await viewer.locator('#status').filter({ hasText: 'Watching' }).waitFor({ timeout: 20_000 });
  await until(async () => (await connections(viewer)).at(-1)!.framesDecoded >= 20, 20_000, 'frames');
  assert.is((await videoProps(viewer)).muted, true, 'autoplay starts muted');
  for (const name of ['Unmute', 'Volume', 'Quality', 'Full screen']) {
    assert.is(await viewer.getByRole(/Volume|Quality/.test(name) ? (name === 'Volume' ? 'slider' : 'combobox') : 'button', { name }).count(), 1, `${name} is labelled`);
  }
});

t('the answer\'s Link ICE servers are applied to the connection', async ({ viewer, turnUrl }) => {
  const pc = (await connections(viewer)).at(-1)!;
  assert.equal(pc.configured, [], 'the first offer had none');
  assert.ok(pc.iceServers.includes(turnUrl), `the connection now has ${pc.iceServers.join(', ')}`);
});

t('the quality menu moves the viewer to another layer: the SFU says so and the picture shrinks', async ({ platform, viewer, showId }) => {
  const stats = async () => (await platform.sfu!.showStats()).find((s) => s.showId === showId)!;
  const sent = async () => (await stats()).layers.filter((l) => l.bitrateKbps > 0).map((l) => l.layer);
  // The fake camera's simulcast needs bandwidth for its upper layers: wait for one besides low.
  const layers = await until(async () => { const l = await sent(); return l.some((x) => x !== 'low') ? l : null; }, 20_000, 'a layer above low from the publisher')
    .catch(async () => sent());
  await viewer.locator('#quality').selectOption('high');
  if (layers.some((l) => l !== 'low')) await until(async () => (await stats()).viewersPerLayer.low === 0, 15_000, 'the SFU leaving the low layer');
  const high = await until(async () => { const v = await videoProps(viewer); return v.width > 0 ? v : null; }, 10_000, 'a picture');
  await viewer.locator('#quality').selectOption('low');
  await until(async () => (await stats()).viewersPerLayer.low === 1, 15_000, 'the SFU forwarding the low layer');
  console.log(`  publisher layers: ${layers.join(', ')}; ${high.width}x${high.height} on high`);
  if (layers.some((l) => l !== 'low')) {
    const low = await until(async () => { const v = await videoProps(viewer); return v.width > 0 && v.width < high.width ? v : null; }, 15_000, 'a smaller picture');
    console.log(`  -> ${low.width}x${low.height} on low`);
  }
  assert.is(await viewer.locator('#quality').inputValue(), 'low');
});

t('mute, unmute and the volume slider drive the video; the volume is remembered', async ({ viewer }) => {
  await viewer.getByRole('button', { name: 'Unmute' }).click();
  await until(async () => !(await videoProps(viewer)).muted, 5_000, 'unmuted');
  assert.is(await viewer.locator('#mute').getAttribute('aria-pressed'), 'false');
  await viewer.locator('#volume').fill('40');
  await until(async () => Math.abs((await videoProps(viewer)).volume - 0.4) < 0.001, 5_000, 'volume 0.4');
  assert.is(await viewer.evaluate(() => localStorage.getItem('livecam.volume')), '0.4');
  await viewer.getByRole('button', { name: 'Mute' }).click();
  await until(async () => (await videoProps(viewer)).muted, 5_000, 'muted again');
});

t('full screen from the keyboard, and back', async ({ viewer }) => {
  await viewer.locator('#fullscreen').focus();
  await viewer.keyboard.press('Enter');
  await until(() => viewer.evaluate(() => document.fullscreenElement !== null), 5_000, 'full screen');
  await viewer.getByRole('button', { name: 'Exit full screen' }).waitFor({ timeout: 5_000 });
  await viewer.keyboard.press('Enter');
  await until(() => viewer.evaluate(() => document.fullscreenElement === null), 5_000, 'out of full screen');
});

t('a killed SFU worker: the player joins again by itself, with the Link ICE servers, and frames flow again', async (ctx) => {
  const { platform, viewer, showId, turnUrl } = ctx;
  const pool = platform.sfu as WorkerPool;
  const worker = (await platform.sfu!.showStats()).find((s) => s.showId === showId)!.worker;
  const before = (await connections(viewer)).length;
  const killedAt = Date.now();
  process.kill(pool.workerPids[worker]!, 'SIGKILL');
  const again = await until(async () => {
    const pcs = await connections(viewer);
    const last = pcs.at(-1)!;
    return pcs.length > before && last.state === 'connected' && last.framesDecoded >= 20 ? last : null;
  }, 30_000, 'frames on a new connection').catch(async (err) => {
    console.log('  viewer:', await viewer.locator('#status').textContent(), JSON.stringify(await connections(viewer)));
    console.log('  model:', await ctx.model.locator('#status').textContent(), JSON.stringify(await platform.sfu!.showStats()).slice(0, 300));
    throw err;
  });
  console.log(`  playing again ${Date.now() - killedAt} ms after the kill`);
  await viewer.locator('#status').filter({ hasText: 'Watching' }).waitFor({ timeout: 10_000 });
  assert.ok(again.configured.includes(turnUrl), `the new offer used the Link's servers (${again.configured.join(', ')})`);
  assert.ok(again.relayOffered, 'and offered a relay candidate through them');
  assert.is(await viewer.locator('#quality').inputValue(), 'low', 'the quality survives the reconnect');
  await until(async () => (await platform.sfu!.showStats()).find((s) => s.showId === showId)?.viewersPerLayer.low === 1, 15_000, 'the SFU forwarding low again');
});

t('no console error on either page', async ({ errors }) => {
  assert.equal(errors, []);
});

t.run();

/**
 * Nothing in the page talks to anyone but the platform, in real Chromium against the real platform: every route
 * of client/routes.ts is opened (with a live show, so the watch page plays over WHEP and the studio publishes
 * over WHIP; logged in where the page logs in), and every request, WebSocket and ICE server any page used is
 * recorded: all of them go to the platform's origin (the chain through its RPC proxy), no font, analytics or STUN
 * server. The page comes with the strict Content-Security-Policy, which Chromium enforces: no page violates it,
 * and an injected inline script does not run.
 */
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Platform } from '../../signaling/platform.ts';
import { contentSecurityPolicy } from '../../signaling/static-client.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';
import { goLive, routeUrls, settled } from '../helpers/every-route.ts';

/** Runs in every page before its scripts: records the ICE servers of every RTCPeerConnection and every CSP violation. */
const RECORDER = `(() => {
  window.__ice = []; window.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = function (config, ...rest) {
    window.__ice.push(JSON.stringify((config && config.iceServers) || []));
    const pc = new Native(config, ...rest);
    const setConfiguration = pc.setConfiguration.bind(pc);
    pc.setConfiguration = (c) => { window.__ice.push(JSON.stringify((c && c.iceServers) || [])); return setConfiguration(c); };
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, Native);
})();`;

interface Ctx { platform: Platform; browser: Browser; errors: string[]; requests: string[]; pages: Page[]; expectRefusal: boolean }
const third = suite<Ctx>('no third party');

third.before(async (ctx) => {
  await buildClient();
  ctx.platform = await startTestPlatform();
  ctx.browser = await launchChromium();
  ctx.errors = [];
  ctx.requests = [];
  ctx.pages = [];
  await ctx.browser.context.addInitScript(RECORDER);
  ctx.browser.context.on('request', (r) => ctx.requests.push(r.url()));
  ctx.expectRefusal = false;
  ctx.browser.context.on('page', (page) => {
    // The page that injects a script on purpose gets its own console check.
    if (ctx.expectRefusal) return;
    ctx.pages.push(page);
    page.on('websocket', (ws) => ctx.requests.push(ws.url()));
    page.on('console', (m) => { if (m.type() === 'error') ctx.errors.push(`${page.url()}: ${m.text()}`); });
    page.on('pageerror', (e) => ctx.errors.push(`${page.url()}: ${String(e)}`));
  });
});

third.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.platform?.close();
});

third('every page, logged out and in, talks only to the platform and keeps to its policy', async (ctx) => {
  const { platform, browser } = ctx;
  const origin = new URL(platform.url);
  // Logged out: a fresh profile opens the directory first.
  const first = await browser.context.newPage();
  const doc = await first.goto(`${platform.url}/#/`);
  assert.is(doc!.headers()['content-security-policy'], contentSecurityPolicy(), 'the page comes with the policy');
  await settled(first);

  const studio = await browser.context.newPage();
  const modelKey = await goLive(studio, platform.url);
  const urls = routeUrls(platform.url, modelKey);
  assert.ok(urls.length >= 6, urls.join(' '));
  for (const url of urls) {
    const page = await browser.context.newPage();
    await page.goto(url);
    await settled(page);
    if (url.includes('/watch/')) {
      // The show plays: WHEP and its ICE ran.
      await page.waitForFunction(() => (window as unknown as { __ice: string[] }).__ice.length > 0, undefined, { timeout: 20_000 });
    }
    await page.close();
  }
  await studio.close();

  assert.ok(ctx.requests.length > 20, `requests seen: ${ctx.requests.length}`);
  for (const raw of ctx.requests) {
    const url = new URL(raw);
    if (url.protocol === 'data:' || url.protocol === 'blob:') continue;
    assert.ok(['http:', 'ws:'].includes(url.protocol) && url.host === origin.host, `request off the platform: ${raw}`);
  }
  const ice: string[] = [];
  const violations: string[] = [];
  for (const page of ctx.pages.filter((p) => !p.isClosed())) {
    ice.push(...await page.evaluate(() => (window as unknown as { __ice: string[] }).__ice));
    violations.push(...await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations));
  }
  await first.close();
  assert.equal(violations, [], 'no page violates the policy');
  assert.ok(ctx.pages.length >= urls.length, 'every page was opened');
  for (const servers of ice) {
    for (const server of JSON.parse(servers) as { urls: string | string[] }[]) {
      for (const u of [server.urls].flat()) {
        assert.match(u, /^turns?:/, `only the platform's TURN, no STUN: ${u}`);
        assert.is(u.replace(/^turns?:/, '').split(/[:?]/)[0], origin.hostname, `TURN on the platform's host: ${u}`);
      }
    }
  }
});

third('the policy is enforced: an injected inline script does not run', async (ctx) => {
  // A page of its own, outside the console check: Chromium reports the refusal as a console error.
  ctx.expectRefusal = true;
  const page = await ctx.browser.context.newPage();
  const refused: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') refused.push(m.text()); });
  await page.goto(`${ctx.platform.url}/#/`);
  await settled(page);
  const ran = await page.evaluate(async () => {
    const script = document.createElement('script');
    script.textContent = 'window.__inlineRan = true';
    document.body.append(script);
    const style = document.createElement('style');
    style.textContent = 'body { background: rgb(1, 2, 3) !important; }';
    document.head.append(style);
    await new Promise((r) => setTimeout(r, 200));
    const w = window as unknown as { __inlineRan?: boolean; __violations: string[] };
    return { script: w.__inlineRan === true, style: getComputedStyle(document.body).backgroundColor === 'rgb(1, 2, 3)', violations: w.__violations ?? [] };
  });
  await page.close();
  ctx.expectRefusal = false;
  assert.is(ran.script, false, 'inline script blocked');
  assert.is(ran.style, false, 'inline style blocked');
  assert.ok(ran.violations.some((v) => v.startsWith('script-src')), ran.violations.join(', '));
  assert.ok(refused.some((t) => /Content Security Policy/.test(t)), 'Chromium says why');
});

third('no console error on any page', ({ errors }) => {
  assert.equal(errors, []);
});

third.run();

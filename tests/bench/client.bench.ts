/**
 * `npm run bench:client`: how the web app loads and how accessible it is, against the real `npm start` (the
 * client built by its prestart, two SFU workers, the embedded chain), in Chromium, on loopback.
 *
 * - initial_js_kib_gzip: the directory page (`#/`) in a fresh profile (cold cache): every JavaScript file the
 *   browser fetched until the directory showed its list (which is after first paint, so it counts at least what
 *   first paint needed), each gzip-compressed here, summed.
 * - directory_first_paint_ms: Chromium's `first-contentful-paint` of that load (median of BENCH_LOADS, default 5,
 *   each in a new profile); directory_ready_ms: until the list is shown (the answer of `directory:subscribe`).
 * - axe_serious_violations: axe-core 4.14 on every route of client/routes.ts, for a visitor without an identity
 *   and again once the identities exist and logged in, with a live show on air (the studio on air too): the
 *   serious and critical violations (one per rule and page), each printed on stderr.
 * Prints `name: value unit`. Runs inside a loopback-only network namespace (re-executes itself there).
 */
import { runOnLoopback } from './loopback.ts';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { axeViolations, blocking } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { goLive, routeUrls, settled } from '../helpers/every-route.ts';
import { npmStart } from '../helpers/npm-start.ts';

const LOADS = Number(process.env.BENCH_LOADS ?? 5);


const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

interface Load { jsGzipBytes: number; jsFiles: number; firstPaintMs: number; readyMs: number }

/** One cold load of the directory in a new profile. */
async function coldLoad(url: string): Promise<Load> {
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const bodies: Promise<Buffer>[] = [];
    let ready = false;
    page.on('response', (res) => {
      if (!ready && res.request().resourceType() === 'script') bodies.push(res.body());
    });
    await page.goto(`${url}/#/`);
    await page.locator('live-directory li a[data-model]').first().waitFor({ timeout: 30_000 });
    ready = true;
    const timing = await page.evaluate(() => ({
      paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
      ready: performance.now(),
    }));
    const files = await Promise.all(bodies);
    return {
      jsGzipBytes: files.reduce((n, b) => n + gzipSync(b).length, 0),
      jsFiles: files.length,
      firstPaintMs: timing.paint,
      readyMs: timing.ready,
    };
  } finally {
    await browser.close();
  }
}

/** The serious and critical violations of every route, logged out and in, each printed on stderr. */
async function axeEveryRoute(url: string): Promise<number> {
  const browser = await launchChromium();
  let count = 0;
  const check = async (page: Page, label: string) => {
    for (const v of blocking(await axeViolations(page))) {
      count++;
      console.error(`  axe ${label}: ${v.impact} ${v.id} (${v.help}) at ${v.targets.slice(0, 3).join(' ')}`);
    }
  };
  try {
    const studio = await browser.context.newPage();
    const key = await goLive(studio, url);
    await check(studio, 'studio on air');
    for (const pass of ['visitor', 'logged in']) {
      if (pass === 'logged in') {
        const account = await browser.context.newPage();
        await account.goto(`${url}/#/account`);
        const made = account.locator('live-account #identities li[data-role=client]');
        const make = account.getByRole('button', { name: 'Make my identity now' });
        await made.or(make).first().waitFor({ timeout: 20_000 });
        if (await make.isVisible()) await make.click();
        await made.waitFor({ timeout: 20_000 });
        await account.close();
      }
      for (const route of routeUrls(url, key)) {
        const page = await browser.context.newPage();
        await page.goto(route);
        await settled(page);
        if (route.includes('/watch/')) await page.locator('live-viewer video').first().waitFor({ timeout: 20_000 });
        await check(page, `${pass} ${route.replace(url, '').replace(key, '<key>')}`);
        await page.close();
      }
    }
    await studio.close();
  } finally {
    await browser.close();
  }
  return count;
}

async function main(): Promise<void> {
  const start = await npmStart();
  if (!start.url) throw new Error(`npm start printed no URL:\n${start.output()}`);
  try {
    // A show on air, so the directory's list has an entry (the page's full first view) and watch pages play.
    const live = await launchChromium();
    try {
      await goLive(await live.context.newPage(), start.url);
      const loads: Load[] = [];
      for (let i = 0; i < LOADS; i++) loads.push(await coldLoad(start.url));
      console.error(`  directory JavaScript files: ${loads[0]!.jsFiles}`);
      console.log(`initial_js_kib_gzip: ${(median(loads.map((l) => l.jsGzipBytes)) / 1024).toFixed(1)} KiB`);
      console.log(`directory_first_paint_ms: ${median(loads.map((l) => l.firstPaintMs)).toFixed(0)} ms`);
      console.log(`directory_ready_ms: ${median(loads.map((l) => l.readyMs)).toFixed(0)} ms`);
    } finally {
      await live.close();
    }
    console.log(`axe_serious_violations: ${await axeEveryRoute(start.url)} count`);
  } finally {
    start.npm.kill('SIGTERM');
    await new Promise((r) => (start.npm.exitCode !== null ? r(null) : start.npm.once('exit', r)));
  }
}

await runOnLoopback(import.meta.url, main);

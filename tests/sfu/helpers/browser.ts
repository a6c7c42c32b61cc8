/**
 * Chromium for SFU tests (RECIPES: Debian chromium driven by playwright-core,
 * fake camera and microphone, loopback ICE), plus a tiny origin that serves
 * a blank page and mounts the WHIP/WHEP router so the page can fetch it.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../helpers/chromium.ts';
import { createSfuRouter } from '../../../sfu/http.ts';
import type { SfuEngine } from '../../../sfu/engine.ts';
import { PAGE_SCRIPT } from './pageScript.ts';

export interface Browser {
  context: BrowserContext;
  /** A new page on `origin` with the WHIP/WHEP helpers loaded (window.sfuTest). */
  page(origin: string): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const { context, close } = await launchChromium();
  return {
    context,
    async page(origin: string) {
      const page = await context.newPage();
      await page.goto(`${origin}/`);
      await page.addScriptTag({ content: PAGE_SCRIPT });
      return page;
    },
    close,
  };
}

export interface Origin {
  url: string;
  close(): Promise<void>;
}

/** Serves `/` (blank page) and the SFU router on 127.0.0.1, like signaling does. */
export async function startOrigin(engine: SfuEngine, secret: Uint8Array): Promise<Origin> {
  const app = express();
  app.get('/', (_req, res) => { res.type('html').send('<!doctype html><html><body></body></html>'); });
  app.use(createSfuRouter({ engine, secret }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(fn: () => Promise<T> | T, timeoutMs: number, what: string, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) { last = err; }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Call from the last suite's `after` hook: werift leaves timers and sockets
 * behind after close, so the file exits shortly after uvu prints its summary
 * (with the exit code uvu set).
 */
export function exitSoon(): void {
  setTimeout(() => process.exit(), 500).unref();
}

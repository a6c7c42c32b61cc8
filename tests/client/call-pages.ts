/**
 * Node side of the private-call browser tests: pages on the rig's origin running one Agent each
 * (tests/client/call-agents.ts), and small waits on what the page's agent recorded.
 */
import type { Page } from 'playwright-core';
import type { Browser } from '../helpers/chromium.ts';
import type { CallRig } from '../helpers/call-rig.ts';
import type { Agent, AgentOptions } from './call-agents.ts';

declare global {
  // eslint-disable-next-line no-var
  var agent: Agent;
  // eslint-disable-next-line no-var
  var Rig: { Agent: new (o: AgentOptions) => Agent; swapFingerprint: (sdp: string) => string };
}

export interface AgentPage { page: Page; frames: string[] }

/** A page on the rig's origin with a fresh agent; `frames` collects every socket.io frame it sends or gets. */
export async function agentPage(browser: Browser, rig: CallRig, o: Omit<AgentOptions, 'chainId' | 'addresses'>): Promise<AgentPage> {
  const page = await browser.context.newPage();
  const frames: string[] = [];
  page.on('websocket', (ws) => {
    ws.on('framesent', (f) => frames.push(String(f.payload)));
    ws.on('framereceived', (f) => frames.push(String(f.payload)));
  });
  page.on('pageerror', (err) => console.error(`[${o.db}] page error:`, err.message));
  await page.goto(`${rig.url}/rig.html`);
  await page.waitForFunction(() => typeof globalThis.Rig !== 'undefined');
  await page.evaluate((opts) => { globalThis.agent = new globalThis.Rig.Agent(opts); },
    { ...o, chainId: rig.chain.chainId, addresses: rig.chain.addresses });
  return { page, frames };
}

/** Polls the page until `fn` (run in the page with `arg`) returns truthy. */
export async function until<T, A = undefined>(page: Page, fn: (arg: A) => T | Promise<T>, timeoutMs = 15_000, what = 'condition', arg?: A): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await page.evaluate(fn as (a: unknown) => T, arg as unknown);
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(50);
  }
}

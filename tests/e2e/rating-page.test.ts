/**
 * The rating page in real Chromium against the real platform: the browser reads the chain's logs through the
 * platform's read-only RPC and computes the ranking itself, and its table is the one `npm run rating` prints from
 * the chain alone; the directory links to it.
 */
import { Wallet, parseUnits } from 'ethers';
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectChannels } from '../../contracts/client.ts';
import { runRating } from '../../contracts/rating-cli.ts';
import type { Platform } from '../../signaling/platform.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';

const LIVE = (n: number) => parseUnits(String(n), 18);

interface Ctx { platform: Platform; browser: Browser; page: Page }
const page = suite<Ctx>('rating page');

page.before(async (ctx) => {
  await buildClient();
  ctx.platform = await startTestPlatform();
  ctx.browser = await launchChromium();
  ctx.page = await ctx.browser.context.newPage();
  const chain = ctx.platform.devChain!;
  const [a, b, c] = chain.demoAccounts.map((d) => new Wallet(d.privateKey, chain.provider));
  // Two payers to one model, one to another.
  for (const [payer, model, live] of [[a!, c!, 4], [b!, c!, 9], [a!, b!, 25]] as const) {
    const sender = connectChannels(payer, chain.addresses);
    await sender.openWithPermit(model.address, LIVE(live));
    const { channelId } = await sender.getChannel(payer.address, model.address);
    await connectChannels(model, chain.addresses).settle(payer.address, await sender.signVoucher(channelId, LIVE(live)));
  }
});

page.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.platform?.close();
});

page('the browser\'s recomputation equals npm run rating at the same block', async (ctx) => {
  await ctx.page.goto(`${ctx.platform.url}/#/`);
  await ctx.page.locator('live-directory a[href="#/rating"]').click();
  await ctx.page.locator('live-rating #recompute').click();
  const status = await ctx.page.locator('live-rating [role=status]').textContent({ timeout: 20_000 });
  const block = Number(/Block (\d+)/.exec(status ?? '')?.[1]);
  const rows = await ctx.page.locator('live-rating #ranking tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())));
  let printed = '';
  const chain = ctx.platform.devChain!;
  assert.is(await runRating(['--rpc', chain.rpcUrl, '--channels', chain.addresses.channels, '--block', String(block)], (s) => { printed += s; }), 0);
  const cli = printed.split('\n').slice(3).map((l) => l.trim().split(/\s+/));
  assert.is(rows.length, 2);
  assert.equal(rows.map((r) => [r[0], r[1], r[2], r[3], r[4], r[5]]), cli.map((r) => r.slice(0, 6)));
  // sqrt(4) + sqrt(9) from two payers and sqrt(25) from one: both 5, less the seconds of decay since.
  for (const r of rows) assert.ok(Math.abs(Number(r[3]) - 5) < 0.01, `score ${r[3]}`);
});

page.run();

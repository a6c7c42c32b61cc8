/**
 * Tips in real Chromium against the real platform and its embedded chain: the model sets a tip menu and a goal in
 * the studio's editor and goes live; two viewers (two browsers: one with a deposit, one without) see the goal; the
 * first tips a menu action and then any amount, signing each voucher in the browser, and both viewers see the
 * progress and the tips in the chat; the second is told plainly that it has no deposit; the model settles what the
 * server kept for it, and the chain pays exactly the tips, to the wei, minus the contract's fee.
 */
import { waitFor } from '../sfu/helpers/browser.ts';
import { Wallet, parseEther, parseUnits } from 'ethers';
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectChannels } from '../../contracts/client.ts';
import type { Platform } from '../../signaling/platform.ts';
import { MESSAGES } from '../../client/messages.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';

const LIVE = (n: number) => parseUnits(String(n), 18);

interface Ctx {
  platform: Platform; browsers: Browser[]; model: Page; tipper: Page; watcher: Page; errors: string[];
  modelKey: string; tipperWallet: string; modelWallet: string;
}
const t = suite<Ctx>('tips in the browser');

const until = <T>(fn: () => Promise<T>, timeoutMs: number, what: string) => waitFor(fn, timeoutMs, what, 200);

t.before(async (ctx) => {
  await buildClient();
  ctx.platform = await startTestPlatform();
  // Two people besides the model: a second browser, so the viewer without a deposit has its own identity.
  ctx.browsers = await Promise.all([launchChromium(), launchChromium()]);
  ctx.errors = [];
  ctx.model = await ctx.browsers[0]!.context.newPage();
  ctx.tipper = await ctx.browsers[0]!.context.newPage();
  ctx.watcher = await ctx.browsers[1]!.context.newPage();
  for (const [name, page] of [['model', ctx.model], ['tipper', ctx.tipper], ['watcher', ctx.watcher]] as const) {
    // A favicon the app does not have yet is the browser's request, not the app's error.
    page.on('console', (m) => { if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) ctx.errors.push(`${name}: ${m.text()}`); });
    page.on('pageerror', (e) => ctx.errors.push(`${name}: ${String(e)}`));
  }
});

t.after(async (ctx) => {
  await Promise.all((ctx.browsers ?? []).map((b) => b.close()));
  await ctx.platform?.close();
});

t('the model sets a tip menu and a goal in the studio, then goes live', async (ctx) => {
  const { model, platform } = ctx;
  await model.goto(`${platform.url}/#/studio`);
  await model.locator('#pseudonym').filter({ hasNotText: '…' }).waitFor({ timeout: 20_000 });
  const editor = model.locator('tip-menu-editor');
  for (const [label, price] of [['Dance', '5'], ['Sing a song', '1.25']] as const) {
    await editor.locator('#tip-add').click();
    await editor.locator('input.label').last().fill(label);
    await editor.locator('ol input.amount').last().fill(price);
  }
  await editor.locator('#tip-menu-save').click();
  await editor.locator('#tips-status').filter({ hasText: 'Tip menu saved' }).waitFor({ timeout: 10_000 });
  await editor.locator('#goal-title').fill('New lights');
  await editor.locator('#goal-target').fill('10');
  await editor.locator('#goal-save').click();
  await editor.locator('#tips-status').filter({ hasText: 'Goal set' }).waitFor({ timeout: 10_000 });
  await model.locator('#golive').click();
  await model.locator('#status').filter({ hasText: 'You are live.' }).waitFor({ timeout: 30_000 });
  const live = (await platform.signaling.store.listOnline()).find((e) => e.status === 'public')!;
  ctx.modelKey = live.key;
  assert.equal((await platform.signaling.store.tipMenu(ctx.modelKey)).map((i) => [i.label, i.amount]),
    [['Dance', LIVE(5).toString()], ['Sing a song', LIVE(1.25).toString()]]);
  // The studio binds the model's wallet by itself: the deposit below needs it.
  ctx.modelWallet = await until(() => platform.signaling.store.getWallet(ctx.modelKey), 20_000, 'the model\'s wallet bound');
});

t('a viewer makes a deposit; both viewers see the menu and the goal at zero', async (ctx) => {
  const { tipper, watcher, platform, modelKey } = ctx;
  await tipper.goto(`${platform.url}/#/wallet/${modelKey}`);
  await tipper.locator('#address').waitFor({ timeout: 20_000 });
  ctx.tipperWallet = (await tipper.locator('#address').textContent())!.trim();
  await tipper.locator('#faucet').click();
  await tipper.locator('#notice').filter({ hasText: 'Test funds received.' }).waitFor({ timeout: 20_000 });
  await tipper.locator('#bind').click();
  await tipper.locator('#bound').filter({ hasText: 'Linked to your identity' }).waitFor({ timeout: 20_000 });
  await tipper.locator('#amount').fill('20');
  await tipper.locator('#deposit-button').click();
  await tipper.locator('#notice').filter({ hasText: 'Deposit confirmed' }).waitFor({ timeout: 20_000 });
  for (const page of [tipper, watcher]) {
    await page.goto(`${platform.url}/#/watch/${modelKey}`);
    await page.locator('#status').filter({ hasText: 'Watching' }).waitFor({ timeout: 20_000 });
    await page.locator('tip-goal #goal-name').filter({ hasText: 'New lights' }).waitFor({ timeout: 10_000 });
    await page.locator('tip-goal #goal-progress').filter({ hasText: '0 of 10 LIVE' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('tip-panel button.menu-item').allTextContents(), ['Dance5 LIVE', 'Sing a song1.25 LIVE']);
  }
  assert.is(await watcher.locator('tip-goal [role="progressbar"]').getAttribute('aria-valuenow'), '0');
});

t('a menu tip and an any-amount tip move the goal for both viewers and show in the chat', async ({ tipper, watcher }) => {
  await tipper.getByRole('button', { name: 'Dance, tip 5 LIVE' }).click();
  await tipper.locator('tip-panel #tip-status').filter({ hasText: 'Thank you: 5 LIVE sent for Dance.' }).waitFor({ timeout: 20_000 });
  for (const page of [tipper, watcher]) {
    await page.locator('tip-goal #goal-progress').filter({ hasText: '5 of 10 LIVE' }).waitFor({ timeout: 10_000 });
    await page.locator('live-chat li.tip').filter({ hasText: 'tipped 5 LIVE for Dance' }).waitFor({ timeout: 10_000 });
  }
  await tipper.locator('tip-panel #tip-amount').fill('2.5');
  await tipper.locator('tip-panel #tip-send').click();
  await tipper.locator('tip-panel #tip-status').filter({ hasText: 'Thank you: 2.5 LIVE sent.' }).waitFor({ timeout: 20_000 });
  for (const page of [tipper, watcher]) {
    await page.locator('tip-goal #goal-progress').filter({ hasText: '7.5 of 10 LIVE' }).waitFor({ timeout: 10_000 });
    await page.locator('live-chat li.tip').filter({ hasText: 'tipped 2.5 LIVE' }).waitFor({ timeout: 10_000 });
  }
  assert.is(await watcher.locator('tip-goal [role="progressbar"]').getAttribute('aria-valuenow'), '75');
});

t('no deposit, or too small a one, is said plainly with the way to the wallet; nothing is sent', async ({ tipper, watcher, platform, modelKey }) => {
  await watcher.locator('tip-panel #tip-amount').fill('1');
  await watcher.locator('tip-panel #tip-send').click();
  await watcher.locator('tip-panel #tip-status').filter({ hasText: MESSAGES.CHANNEL_NOT_OPEN }).waitFor({ timeout: 20_000 });
  assert.is(await watcher.locator('tip-panel #tip-wallet').getAttribute('href'), `#/wallet/${modelKey}`);
  await tipper.locator('tip-panel #tip-amount').fill('100');
  await tipper.locator('tip-panel #tip-send').click();
  await tipper.locator('tip-panel #tip-status').filter({ hasText: MESSAGES.CHANNEL_INSUFFICIENT }).waitFor({ timeout: 20_000 });
  await tipper.locator('tip-panel #tip-wallet').waitFor();
  await tipper.locator('tip-panel #tip-amount').fill('0');
  await tipper.locator('tip-panel #tip-send').click();
  await tipper.locator('tip-panel #tip-help').filter({ hasText: MESSAGES.BAD_AMOUNT }).waitFor({ timeout: 5_000 });
  const goal = (await platform.signaling.store.tipGoal(modelKey))!;
  assert.is(goal.progress, LIVE(7.5).toString(), 'the refused tips counted nothing');
});

t('the model settles what the server kept: the chain pays the tips to the wei, minus the fee', async ({ model, platform, tipperWallet, modelWallet }) => {
  const chain = platform.devChain!;
  const reader = connectChannels(chain.provider, chain.addresses);
  const channel = await reader.getChannel(tipperWallet, modelWallet);
  assert.is((await platform.signaling.store.keptVoucher(channel.channelId))?.cumulativeAmount, LIVE(7.5).toString(), 'the server keeps the latest tip voucher');
  // Gas from a demo wallet, so that the studio does not call the faucet (its LIVE would blur the count).
  const gas = await new Wallet(chain.demoAccounts.at(-1)!.privateKey, chain.provider).sendTransaction({ to: modelWallet, value: parseEther('1') });
  await gas.wait();
  const before = await reader.balanceOf(modelWallet);
  await model.locator('#end').click();
  // A later visit of the studio takes in what the server kept for the model, and settles it with one click.
  await model.reload();
  await model.locator('#earnings-unsettled').filter({ hasText: '7.5' }).waitFor({ timeout: 20_000 });
  await model.locator('#earnings-settle').click();
  await model.locator('#earnings-status').filter({ hasText: 'Settled' }).waitFor({ timeout: 30_000 });
  const paid = (await reader.getChannel(tipperWallet, modelWallet)).paid;
  assert.is(paid, LIVE(7.5), 'the channel paid the two tips');
  const fee = (paid * BigInt(chain.platformFeeBps)) / 10_000n;
  assert.is(await reader.balanceOf(modelWallet) - before, paid - fee, 'the model got the tips minus the fee');
});

t('no console error on any page', async ({ errors }) => {
  assert.equal(errors, []);
});

t.run();

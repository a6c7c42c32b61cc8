/**
 * Moderation from the chat in real Chromium on the real platform: the model sets slow mode (the viewer sees the
 * countdown, and the server refuses a message sent too soon), mutes a viewer (their message is refused in plain
 * words), bans them (their chat and video stop, the SFU feeds them no more, a rejoin is refused) and unbans them
 * from the studio's list of banned viewers (they watch again).
 */
import { until } from '../helpers/poll.ts';
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Platform } from '../../signaling/platform.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';
import { collectConsoleErrors } from '../helpers/page-errors.ts';

interface Ctx { platform: Platform; browser: Browser; model: Page; viewer: Page; errors: string[] }
const mod = suite<Ctx>('moderation from the chat');

const REMEMBER_PCS = `(() => {
  const Native = window.RTCPeerConnection;
  const seen = [];
  window.__pcs = seen;
  window.RTCPeerConnection = class extends Native { constructor(c) { super(c); seen.push(this); } };
})()`;
const decoded = (page: Page) => page.evaluate(`(async () => {
  let frames = 0;
  for (const pc of window.__pcs || []) if (pc.connectionState !== 'closed') (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded || 0; });
  return frames;
})()`) as Promise<number>;


mod.before(async (ctx) => {
  await buildClient();
  ctx.platform = await startTestPlatform();
  ctx.browser = await launchChromium();
  ctx.model = await ctx.browser.context.newPage();
  ctx.viewer = await ctx.browser.context.newPage();
  await ctx.viewer.addInitScript(REMEMBER_PCS);
  ctx.errors = [];
  collectConsoleErrors(ctx.model, ctx.errors);
  collectConsoleErrors(ctx.viewer, ctx.errors);
});

mod.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.platform?.close();
});

const send = async (page: Page, text: string) => {
  await page.locator('live-chat input[name="text"]').fill(text);
  await page.locator('live-chat form button').click();
};
const viewers = async (platform: Platform) => (await platform.sfu!.showStats()).reduce((n, s) => n + s.viewers, 0);

mod('the viewer watches and chats; the model sets slow mode, which the viewer sees and the server enforces', async ({ platform, model, viewer }) => {
  await model.goto(`${platform.url}/#/studio`);
  await model.locator('#pseudonym').filter({ hasNotText: '…' }).waitFor({ timeout: 15_000 });
  await model.locator('#golive').click();
  await model.locator('#status').filter({ hasText: 'You are live.' }).waitFor({ timeout: 20_000 });
  await viewer.goto(`${platform.url}/#/`);
  await viewer.locator('li a[data-model]').first().click();
  await viewer.locator('#status').filter({ hasText: 'Watching' }).waitFor({ timeout: 15_000 });
  await until(() => decoded(viewer), (n) => n > 10, 20_000, 'viewer frames');
  await send(viewer, 'hello from the viewer');
  await model.locator('live-chat li', { hasText: 'hello from the viewer' }).waitFor({ timeout: 10_000 });
  // Only the model gets the actions, and not on their own messages.
  assert.is(await viewer.locator('details.mod').count(), 0);
  await send(model, 'welcome');
  await viewer.locator('live-chat li', { hasText: 'welcome' }).waitFor({ timeout: 10_000 });
  assert.is(await model.locator('details.mod').count(), 1, 'actions on the viewer\'s message only');

  await model.locator('#slow-mode').selectOption('10');
  await viewer.locator('#chat-standing').filter({ hasText: 'Slow mode: one message every 10 seconds.' }).waitFor({ timeout: 10_000 });
  await send(viewer, 'first under slow mode');
  await model.locator('live-chat li', { hasText: 'first under slow mode' }).waitFor({ timeout: 10_000 });
  await viewer.locator('#chat-standing').filter({ hasText: 'You can send again in' }).waitFor({ timeout: 5000 });
  assert.ok((await viewer.locator('live-chat form button').innerText()).startsWith('Wait'));
  assert.is(await viewer.locator('live-chat form button').isDisabled(), true);
  // A fresh page knows nothing of the last message: the server refuses the next one.
  await viewer.reload();
  await viewer.locator('#status').filter({ hasText: 'Watching' }).waitFor({ timeout: 15_000 });
  await send(viewer, 'too soon');
  await viewer.locator('#chat-error').filter({ hasText: 'Slow mode is on in this chat: please wait before your next message.' }).waitFor({ timeout: 10_000 });
  await model.locator('#slow-mode').selectOption('0');
  await model.locator('#chat-notice').filter({ hasText: 'Slow mode is off.' }).waitFor({ timeout: 10_000 });
  await viewer.locator('#chat-standing').waitFor({ state: 'detached', timeout: 10_000 });
});

mod('the model mutes the viewer: their message is refused in plain words', async ({ model, viewer }) => {
  await send(viewer, 'before the mute');
  const message = model.locator('live-chat li', { hasText: 'before the mute' });
  await message.waitFor({ timeout: 10_000 });
  await message.locator('summary').focus();
  await model.keyboard.press('Enter');
  await message.locator('select[name="mute-seconds"]').selectOption('300');
  await message.locator('button[data-action="mute"]').click();
  await model.locator('#chat-notice').filter({ hasText: 'is muted for 5 minutes.' }).waitFor({ timeout: 10_000 });
  await viewer.locator('#chat-standing').filter({ hasText: 'You are muted until' }).waitFor({ timeout: 10_000 });
  await send(viewer, 'am I muted?');
  await viewer.locator('#chat-error').filter({ hasText: 'You are muted in this chat for now.' }).waitFor({ timeout: 10_000 });
  assert.is(await model.locator('live-chat li', { hasText: 'am I muted?' }).count(), 0);
});

mod('the model bans the viewer: chat and video stop, a rejoin is refused; unbanned, they watch again', async ({ platform, model, viewer }) => {
  const message = model.locator('live-chat li', { hasText: 'before the mute' });
  await message.locator('summary').click();
  const name = (await message.locator('.from').innerText()).trim();
  await message.locator('button[data-action="ban"]').click();
  await viewer.locator('#status').filter({ hasText: 'You were banned by this model' }).waitFor({ timeout: 10_000 });
  assert.is(await viewer.locator('live-chat').count(), 0, 'the chat is gone');
  // The video stops: no connection decodes, and the SFU feeds nobody.
  const stopped = await decoded(viewer);
  await new Promise((r) => setTimeout(r, 1000));
  assert.is(await decoded(viewer), stopped);
  await until(() => viewers(platform), (n) => n === 0, 10_000, 'no viewer at the SFU');
  await model.locator(`ban-list li`, { hasText: name }).waitFor({ timeout: 10_000 });

  await viewer.reload();
  await viewer.locator('#status').filter({ hasText: 'This model has blocked you.' }).waitFor({ timeout: 15_000 });
  assert.is(await viewer.locator('live-chat').count(), 0);

  await model.locator('ban-list button', { hasText: 'Unban' }).click();
  await model.locator('#no-bans').waitFor({ timeout: 10_000 });
  await viewer.reload();
  await viewer.locator('#status').filter({ hasText: 'Watching' }).waitFor({ timeout: 15_000 });
  await until(() => decoded(viewer), (n) => n > 10, 20_000, 'frames again after the unban');
  // The viewer leaves before the show ends (the player's DELETE of a session the SFU closed would log a 404).
  await viewer.goto('about:blank');
  await model.locator('#end').click();
  await model.locator('#golive').waitFor({ timeout: 10_000 });
});

mod('no console error on the way', ({ errors }) => {
  assert.equal(errors, []);
});

mod.run();

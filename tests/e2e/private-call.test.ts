/**
 * The whole private-show journey through the web client, in real Chromium with the fake camera, on the embedded
 * dev chain, through the coturn the platform starts itself, inside the loopback-only namespace, with a shortened
 * minute (PRIVATE_MINUTE_MS): the client
 * deposits with a permit from its wallet page, sees the price on the watch page and requests; the model hears
 * and sees the prompt in the studio and accepts; video and audio flow both ways relay-only; the chat goes over
 * the data channel and never through signaling; after K minutes the model holds exactly K x price, settles with
 * one click, and the balances match to the wei (fee included); the client closes and gets the rest back.
 */
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseEther, parseUnits } from 'ethers';
import { connectChannels } from '../../contracts/client.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import type { DevChain } from '../../contracts/devchain.ts';
import type { Platform } from '../../signaling/platform.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';
import { call, client as socketTo, connected } from '../signaling/helpers.ts';
import { keyVisual } from '../../client/services/key-visual.ts';

/** The fingerprint an identity badge (`#id svg`) shows, once it has derived it. */
async function badgeFingerprint(page: Page, id: string): Promise<string | null> {
  const picture = page.locator(`#${id} svg[role="img"]`);
  await picture.waitFor({ timeout: 10_000 });
  return picture.getAttribute('data-fingerprint');
}
let promptKey = '';

const SHOTS = '/tmp/shots';
const PRICE = parseUnits('1.5', 18);
const DEPOSIT = parseUnits('12', 18);
const MINUTE_MS = 5_000;

interface Side { page: Page; frames: string[] }
interface Ctx { platform: Platform; url: string; chain: DevChain; browser: Browser; model: Side; client: Side; modelKey: string; modelWallet: string; clientWallet: string; K: number }
const journey = suite<Ctx>('private show in the browser: the whole journey');

async function side(browser: Browser, errors: string[]): Promise<Side> {
  const page = await browser.context.newPage();
  const frames: string[] = [];
  page.on('websocket', (ws) => {
    ws.on('framesent', (f) => frames.push(String(f.payload)));
    ws.on('framereceived', (f) => frames.push(String(f.payload)));
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  // Test-only: remember every peer connection so getStats() can be read.
  await page.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    const seen: RTCPeerConnection[] = [];
    (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = seen;
    window.RTCPeerConnection = class extends Native {
      constructor(config?: RTCConfiguration) { super(config); seen.push(this); }
    };
  });
  return { page, frames };
}

/** Inbound video frames and audio packets of the page's live call, and its selected candidate pairs' types. */
function media(page: Page): Promise<{ framesDecoded: number; audioPackets: number; pairs: string[][] }> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((pc) => pc.connectionState === 'connected');
    let framesDecoded = 0;
    let audioPackets = 0;
    const pairs: string[][] = [];
    for (const pc of pcs) {
      const stats = await pc.getStats();
      stats.forEach((s: Record<string, unknown>) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded += Number(s.framesDecoded ?? 0);
        if (s.type === 'inbound-rtp' && s.kind === 'audio') audioPackets += Number(s.packetsReceived ?? 0);
        if (s.type === 'transport' && s.selectedCandidatePairId) {
          const pair = stats.get(String(s.selectedCandidatePairId)) as Record<string, string>;
          pairs.push([String((stats.get(pair.localCandidateId!) as Record<string, unknown>).candidateType),
            String((stats.get(pair.remoteCandidateId!) as Record<string, unknown>).candidateType)]);
        }
      });
    }
    return { framesDecoded, audioPackets, pairs };
  });
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SHOTS}/${name}-1280.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(150);
  await page.screenshot({ path: `${SHOTS}/${name}-390.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
}

const errors: string[] = [];

journey.before(async (ctx) => {
  mkdirSync(SHOTS, { recursive: true });
  await buildClient();
  // The platform as `npm start` runs it (its own coturn on loopback), with a shortened billed minute.
  ctx.platform = await startTestPlatform({ PRIVATE_MINUTE_MS: String(MINUTE_MS), PRIVATE_VOUCHER_GRACE_SECONDS: '2' });
  assert.ok(ctx.platform.turn, 'the platform started coturn');
  ctx.url = ctx.platform.url;
  ctx.chain = ctx.platform.devChain!;
  ctx.browser = await launchChromium();
  ctx.model = await side(ctx.browser, errors);
  ctx.client = await side(ctx.browser, errors);
  for (const s of [ctx.model, ctx.client]) await s.page.setViewportSize({ width: 1280, height: 800 });
});

journey.after(async (ctx) => {
  if (errors.length) console.error('page errors:', errors);
  await ctx.browser?.close();
  await ctx.platform?.close();
});

journey('the model offers private shows from the studio', async (ctx) => {
  const { page } = ctx.model;
  await page.goto(`${ctx.url}/#/studio`);
  await page.locator('#pseudonym').filter({ hasNotText: '…' }).waitFor({ timeout: 20_000 });
  await page.locator('#price').fill('1.5');
  await page.locator('#min-minutes').fill('2');
  await page.locator('#set-price').click();
  await page.locator('#private-status').filter({ hasText: '1.5 LIVE per minute, at least 2 minutes' }).waitFor({ timeout: 10_000 });
  // The model is online with its wallet bound: the directory (read without logging in) names it.
  const s = socketTo(ctx.url);
  await connected(s);
  const dir = await call(s, 'directory:subscribe', {});
  s.close();
  const entry = dir.ok ? dir.models.find((m) => m.pricePerMinute === PRICE.toString()) : undefined;
  assert.ok(entry, 'the model is in the directory with its price');
  ctx.modelKey = entry!.key;
  await page.locator('earnings-panel').waitFor();
  await shoot(page, 'studio-offer');
});

journey('without a deposit the watch page says so plainly and points to the wallet', async (ctx) => {
  const { page } = ctx.client;
  await page.goto(`${ctx.url}/#/watch/${ctx.modelKey}`);
  await page.locator('#private-insufficient').filter({ hasText: 'Insufficient deposit' }).waitFor({ timeout: 20_000 });
  assert.ok(await page.locator('#private-request').isDisabled(), 'no request without a deposit');
  assert.is(await page.locator('#private-topup').getAttribute('href'), `#/wallet/${ctx.modelKey}`);
  await shoot(page, 'watch-insufficient');
});

journey('the client deposits with a permit from the wallet page', async (ctx) => {
  const { page } = ctx.client;
  await page.goto(`${ctx.url}/#/wallet/${ctx.modelKey}`);
  await page.locator('#address').waitFor({ timeout: 20_000 });
  ctx.clientWallet = (await page.locator('#address').textContent())!.trim();
  await page.locator('#faucet').click();
  await page.locator('#notice').filter({ hasText: 'Test funds received.' }).waitFor({ timeout: 20_000 });
  await page.locator('#bind').click();
  await page.locator('#bound').filter({ hasText: 'Linked to your identity' }).waitFor({ timeout: 20_000 });
  await page.locator('#amount').fill('12');
  await page.locator('#deposit-button').click();
  await page.locator('#notice').filter({ hasText: 'Deposit confirmed' }).waitFor({ timeout: 20_000 });
});

journey('the watch page shows the price and minimum; the client requests', async (ctx) => {
  const { page } = ctx.client;
  await page.goto(`${ctx.url}/#/watch/${ctx.modelKey}`);
  await page.locator('#private-price').filter({ hasText: '1.5' }).waitFor({ timeout: 20_000 });
  assert.is((await page.locator('#private-min').textContent())!.trim(), '2');
  assert.is(await badgeFingerprint(page, 'offer-identity'), (await keyVisual(ctx.modelKey)).fingerprint, 'the offer shows the model\'s full-key identity');
  await page.locator('#private-request:not([disabled])').waitFor({ timeout: 20_000 });
  await page.locator('#private-direct').check();
  await page.locator('#private-direct-warning').filter({ hasText: 'will see your IP address' }).waitFor();
  await shoot(page, 'watch-offer-direct-warning');
  await page.locator('#private-direct').uncheck();
  await page.locator('#private-request').click();
  await page.locator('#private-status').filter({ hasText: 'Waiting for' }).waitFor({ timeout: 20_000 });
});

journey('the model sees the prompt (client, price, minutes, key) and accepts', async (ctx) => {
  const { page } = ctx.model;
  await page.locator('#prompt-accept').waitFor({ timeout: 20_000 });
  assert.match((await page.locator('#prompt-title').textContent())!, /Private show request from \w+-\w+-\d{4}/);
  assert.match((await page.locator('#prompt-terms').textContent())!, /1\.5\s*LIVE per minute, at least\s*2\s*minutes/);
  assert.match((await page.locator('#prompt-key').textContent())!, /^[A-Za-z0-9_-]{43}$/);
  promptKey = (await page.locator('#prompt-key').textContent())!;
  assert.is(await badgeFingerprint(page, 'prompt-identity'), (await keyVisual(promptKey)).fingerprint, 'the prompt shows the client\'s full-key identity');
  await shoot(page, 'studio-prompt');
  await page.locator('#prompt-accept').click();
});

journey('both are connected: video and audio both ways, every selected pair relay, the same safety code', async (ctx) => {
  for (const s of [ctx.model, ctx.client]) {
    await s.page.locator('#call-state').filter({ hasText: 'Private with' }).waitFor({ timeout: 20_000 });
    const end = Date.now() + 15_000;
    let m = await media(s.page);
    while ((m.framesDecoded === 0 || m.audioPackets === 0) && Date.now() < end) {
      await s.page.waitForTimeout(200);
      m = await media(s.page);
    }
    assert.ok(m.framesDecoded > 0, `frames decoded ${m.framesDecoded}`);
    assert.ok(m.audioPackets > 0, `audio packets ${m.audioPackets}`);
    assert.ok(m.pairs.length > 0);
    for (const pair of m.pairs) assert.equal(pair, ['relay', 'relay']);
  }
  const codes = await Promise.all([ctx.model, ctx.client].map((s) => s.page.locator('#safety-code').filter({ hasText: /\d{5}/ }).textContent()));
  assert.is(codes[0], codes[1]);
  assert.is(await badgeFingerprint(ctx.client.page, 'call-peer-identity'), (await keyVisual(ctx.modelKey)).fingerprint, 'the client\'s call screen shows the model');
  assert.is(await badgeFingerprint(ctx.model.page, 'call-peer-identity'), (await keyVisual(promptKey)).fingerprint, 'the model\'s call screen shows the client');
});

journey('a chat line goes over the data channel and never appears in signaling traffic', async (ctx) => {
  const text = `just us two ${Math.random().toString(36).slice(2)}`;
  await ctx.client.page.locator('#call-chat-input').fill(text);
  await ctx.client.page.locator('#call-chat-input').press('Enter');
  await ctx.model.page.locator('#call-chat').filter({ hasText: text }).waitFor({ timeout: 5_000 });
  const reply = `hello back ${Math.random().toString(36).slice(2)}`;
  await ctx.model.page.locator('#call-chat-input').fill(reply);
  await ctx.model.page.locator('#call-chat-input').press('Enter');
  await ctx.client.page.locator('#call-chat').filter({ hasText: reply }).waitFor({ timeout: 5_000 });
  const frames = [...ctx.client.frames, ...ctx.model.frames];
  assert.ok(frames.some((f) => f.includes('private:signal')), 'signaling frames were captured');
  for (const t of [text, reply]) assert.not.ok(frames.some((f) => f.includes(t)), 'chat went through signaling');
  await shoot(ctx.client.page, 'call-client');
  await shoot(ctx.model.page, 'call-model');
});

journey('after K minutes the client ends the call; the model holds exactly K x price', async (ctx) => {
  await ctx.client.page.locator('#call-minute').filter({ hasText: /^[2-9]$/ }).waitFor({ timeout: 3 * MINUTE_MS });
  await ctx.client.page.locator('#call-end').click();
  await ctx.client.page.locator('#call-ended').filter({ hasText: 'You ended the call.' }).waitFor({ timeout: 5_000 });
  await ctx.model.page.locator('#call-ended').filter({ hasText: 'The other person ended the call.' }).waitFor({ timeout: 5_000 });
  await shoot(ctx.model.page, 'call-ended-model');
  const spent = (await ctx.client.page.locator('#call-spent').textContent())!.trim();
  await ctx.model.page.locator('#call-dismiss').click();
  const unsettledText = await ctx.model.page.locator('#earnings-unsettled').filter({ hasText: /^[1-9]/ }).textContent();
  const unsettled = parseUnits(unsettledText!.replace(/,/g, ''), 18);
  ctx.K = Number(unsettled / PRICE);
  assert.ok(ctx.K >= 2, `K = ${ctx.K}`);
  assert.is(unsettled, PRICE * BigInt(ctx.K), 'exactly K x price');
  assert.is(parseUnits(spent.replace(/,/g, ''), 18), unsettled, 'the client spent what the model holds');
});

journey('the model settles with one click: both balances match to the wei, fee included', async (ctx) => {
  const chain = ctx.chain;
  const reader = connectChannels(chain.provider, chain.addresses);
  const logs = await reader.channels.queryFilter(reader.channels.filters.ChannelOpened!());
  const opened = logs[0] as unknown as { args: [string, string, string] };
  ctx.modelWallet = opened.args[2];
  assert.is(opened.args[1].toLowerCase(), ctx.clientWallet.toLowerCase());
  // Gas for the model's wallet, sent here so the studio needs no faucet (the faucet's LIVE comes from the fee recipient).
  await (await chain.deployer.sendTransaction({ to: ctx.modelWallet, value: parseEther('1') })).wait();
  const [modelBefore, feeBefore] = await Promise.all([reader.balanceOf(ctx.modelWallet), reader.balanceOf(chain.feeRecipient)]);
  await shoot(ctx.model.page, 'studio-earnings');
  await ctx.model.page.locator('#earnings-settle').click();
  await ctx.model.page.locator('#earnings-status').filter({ hasText: 'Settled 1 deposit' }).waitFor({ timeout: 30_000 });
  const owed = PRICE * BigInt(ctx.K);
  const fee = (owed * BigInt(chain.platformFeeBps)) / 10_000n;
  assert.is(await reader.balanceOf(chain.feeRecipient) - feeBefore, fee);
  assert.is(await reader.balanceOf(ctx.modelWallet) - modelBefore, owed - fee);
  assert.is((await reader.getChannel(ctx.clientWallet, ctx.modelWallet)).paid, owed);
  await ctx.model.page.locator('#earnings-unsettled').filter({ hasText: /^0$/ }).waitFor({ timeout: 10_000 });
  await shoot(ctx.model.page, 'studio-settled');
});

journey('the client requests close and gets the rest back after the challenge period', async (ctx) => {
  const { page } = ctx.client;
  const chain = ctx.chain;
  const reader = connectChannels(chain.provider, chain.addresses);
  const before = await reader.balanceOf(ctx.clientWallet);
  await page.goto(`${ctx.url}/#/wallet/${ctx.modelKey}`);
  await page.locator('#request-close').click();
  await page.locator('#channel-state').filter({ hasText: 'Closing' }).waitFor({ timeout: 20_000 });
  await chain.increaseTime(chain.challengePeriodSeconds + 1);
  await page.locator('#withdraw:not([disabled])').waitFor({ timeout: 20_000 });
  await page.locator('#withdraw').click();
  await page.locator('#notice').filter({ hasText: 'Withdrawn' }).waitFor({ timeout: 20_000 });
  assert.is(await reader.balanceOf(ctx.clientWallet) - before, DEPOSIT - PRICE * BigInt(ctx.K));
});

journey.run();

/**
 * The directory orders models by the ranking of contracts/RATING.md, and that order is the one `npm run rating`
 * recomputes from the chain alone (real dev chain over its HTTP JSON-RPC, real signaling server, real vouchers
 * settled on-chain): same wallets, same scores, same order, at the same block.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet, parseUnits } from 'ethers';
import { connectChannels } from '../../contracts/client.ts';
import { startDevChain, type DevChain } from '../../contracts/devchain.ts';
import { runRating } from '../../contracts/rating-cli.ts';
import type { DirectoryEntry } from '../../signaling/protocol.ts';
import { bind } from './private-setup.ts';
import { login, next, ok, startServer, type Running, type User } from './helpers.ts';

const LIVE = (n: number) => parseUnits(String(n), 18);
const DAY = 86_400;

interface Ctx { chain: DevChain; run: Running; models: User[]; wallets: Wallet[] }
const test = suite<Ctx>('directory: ordered by the public ranking');

/** `payer` opens a channel to `model` and the model settles a voucher for `live`. */
async function pays(ctx: Ctx, payer: number, model: number, live: number): Promise<void> {
  const from = ctx.wallets[payer]!;
  const to = ctx.wallets[model]!;
  const sender = connectChannels(from, ctx.chain.addresses);
  await sender.openWithPermit(to.address, LIVE(live));
  const { channelId } = await sender.getChannel(from.address, to.address);
  const voucher = await sender.signVoucher(channelId, LIVE(live));
  await connectChannels(to, ctx.chain.addresses).settle(from.address, voucher);
}

test.before(async (ctx) => {
  ctx.chain = await startDevChain({ port: 0, demoAccounts: 14, challengePeriodSeconds: 7200 });
  ctx.wallets = ctx.chain.demoAccounts.map((a) => new Wallet(a.privateKey, ctx.chain.provider));
  ctx.run = await startServer({ chain: { provider: ctx.chain.provider, addresses: ctx.chain.addresses, chainId: ctx.chain.chainId, rpcUrl: ctx.chain.rpcUrl } });
  ctx.models = [];
  for (let i = 0; i < 5; i++) {
    const m = await login(ctx.run.url, 'model');
    await ok(m.socket, 'model:setPrice', { pricePerMinute: LIVE(1).toString(), minMinutes: 1 });
    await bind(m, ctx.wallets[i]!);
    ctx.models.push(m);
  }
  // Twenty days ago: model 0 has three fans, model 1 one big spender of the same total, model 2 funds a payer of
  // its own (through one intermediary) and has one small fan, model 3 two fans.
  await pays(ctx, 5, 0, 10); await pays(ctx, 6, 0, 10); await pays(ctx, 7, 0, 10);
  await pays(ctx, 8, 1, 30);
  const token = connectChannels(ctx.wallets[2]!, ctx.chain.addresses).token;
  await (await token.getFunction('transfer').send(ctx.wallets[12]!.address, LIVE(1))).wait();
  const intermediary = connectChannels(ctx.wallets[12]!, ctx.chain.addresses).token;
  await (await intermediary.getFunction('transfer').send(ctx.wallets[13]!.address, LIVE(1))).wait();
  await pays(ctx, 13, 2, 5000);
  await pays(ctx, 9, 2, 1);
  await pays(ctx, 10, 3, 9); await pays(ctx, 11, 3, 9);
  // Now: model 4's first payment, small: it is new and starts at the median.
  await ctx.chain.increaseTime(20 * DAY);
  await pays(ctx, 5, 4, 1);
});

test.after(async (ctx) => {
  for (const m of ctx.models ?? []) m.socket.close();
  await ctx.run?.server.close();
  await ctx.chain?.close();
});

test('the directory\'s order and scores equal the recomputation from the chain alone', async (ctx) => {
  await ctx.run.server.rating!.refresh();
  const viewer = await login(ctx.run.url, 'client');
  const { models } = await ok(viewer.socket, 'directory:subscribe', {});
  const ours = models.filter((m) => ctx.models.some((u) => u.key === m.key));
  assert.is(ours.length, 5);
  const block = ours[0]!.rating!.block;
  let printed = '';
  const code = await runRating(['--rpc', ctx.chain.rpcUrl, '--channels', ctx.chain.addresses.channels, '--block', String(block), '--json'], (s) => { printed += s; });
  assert.is(code, 0, printed);
  const cli = JSON.parse(printed) as { block: number; models: { receiver: string; score: number; rankScore: number; isNew: boolean }[] };
  assert.is(cli.block, block);
  assert.equal(ours.map((m) => m.rating!.wallet), cli.models.map((m) => m.receiver));
  for (const [i, m] of ours.entries()) {
    assert.is(m.rating!.score, cli.models[i]!.score);
    assert.is(m.rating!.rankScore, cli.models[i]!.rankScore);
    assert.is(m.rating!.isNew, cli.models[i]!.isNew);
  }
  const byModel = (i: number) => ours.find((m) => m.key === ctx.models[i]!.key)!.rating!;
  // Three fans beat one big spender of the same total; the self-funded 5,000 LIVE counts nothing.
  assert.ok(byModel(0).score > byModel(1).score);
  assert.ok(byModel(2).score < byModel(3).score && byModel(2).score < byModel(1).score);
  // The newcomer is not last: it starts at the median of the established four.
  assert.ok(byModel(4).isNew && !byModel(0).isNew);
  assert.ok(byModel(4).rankScore > byModel(4).score);
  assert.is(ours.at(-1)!.key, ctx.models[2]!.key);
  viewer.socket.close();
});

test('live updates carry the rating, so the page keeps the same order', async (ctx) => {
  const viewer = await login(ctx.run.url, 'client');
  await ok(viewer.socket, 'directory:subscribe', {});
  const update = next(viewer.socket, 'directory:update', (e: DirectoryEntry) => e.key === ctx.models[1]!.key);
  await ok(ctx.models[1]!.socket, 'model:setPrice', { pricePerMinute: LIVE(2).toString(), minMinutes: 1 });
  const entry = await update;
  assert.is(entry.rating!.wallet, ctx.wallets[1]!.address.toLowerCase());
  assert.ok(entry.rating!.score > 0);
  viewer.socket.close();
});

test('a bad command line is refused with the usage, and an unreachable chain with exit code 1', async (ctx) => {
  let out = '';
  assert.is(await runRating(['--rpc', 'ftp://x', '--channels', ctx.chain.addresses.channels], (s) => { out += s; }), 2);
  assert.match(out, /usage: npm run rating/);
  assert.is(await runRating(['--rpc', ctx.chain.rpcUrl, '--channels', 'nope'], () => undefined), 2);
  assert.is(await runRating(['--rpc', ctx.chain.rpcUrl, '--channels', ctx.chain.addresses.channels, '--block', '-1'], () => undefined), 2);
});

test.run();

/**
 * Proof that a model's money is safe while they are offline: a client pays K vouchers through signaling (tips),
 * the model never settles and goes away, the client calls `requestClose`; the platform's watcher settles the kept
 * voucher before `closesAt`, the client withdraws the rest after the challenge period, and every balance matches
 * to the wei. Real EVM (EDR), real signaling server, memory and Redis stores.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { JsonRpcProvider, Wallet, parseUnits } from 'ethers';
import { startDevChain, type DevChain } from '../../contracts/devchain.ts';
import { connectChannels, type LiveChannelsClient } from '../../contracts/client.ts';
import { bindWallet, walletBindingMessage } from '../../contracts/wallet-binding.ts';
import type { Voucher } from '../../signaling/protocol.ts';
import { SettlementWatcher, type SettledEvent } from '../../signaling/settlement-watcher.ts';
import { login, mediaArrives, ok, startRedis, startServer, testConfig, until, type RedisHandle, type Running, type User } from './helpers.ts';

const LIVE = (n: number | string) => parseUnits(String(n), 18);
const FEE_BPS = 250n;
const CHALLENGE_PERIOD = 3600;
const fee = (x: bigint) => (x * FEE_BPS) / 10_000n;

async function bind(u: User, w: Wallet): Promise<void> {
  const walletSignature = await w.signMessage(walletBindingMessage(u.key));
  const b = await bindWallet(u.identity, w.address, walletSignature);
  await ok(u.socket, 'wallet:bind', { address: b.address, walletSignature, identitySignature: b.identitySignature });
}

function wire(v: { channelId: string; cumulativeAmount: bigint; signature: string }): Voucher {
  return { channelId: v.channelId, cumulativeAmount: v.cumulativeAmount.toString(), signature: v.signature };
}

interface World {
  chain: DevChain;
  run: Running;
  redis: RedisHandle | null;
  watchers: SettlementWatcher[];
  reader: LiveChannelsClient;
}

async function world(withRedis: boolean): Promise<World> {
  const chain = await startDevChain({ port: 0, demoAccounts: 6, platformFeeBps: Number(FEE_BPS), challengePeriodSeconds: CHALLENGE_PERIOD });
  const redis = withRedis ? await startRedis() : null;
  const config = testConfig();
  const run = await startServer({
    config: redis ? { ...config, REDIS_URL: redis.url } : config,
    chain: { provider: chain.provider, addresses: chain.addresses, chainId: chain.chainId, rpcUrl: chain.rpcUrl },
  });
  return { chain, run, redis, watchers: [], reader: connectChannels(chain.provider, chain.addresses) };
}

function watcherFor(w: World): SettlementWatcher {
  const watcher = new SettlementWatcher({
    provider: w.chain.provider, addresses: w.chain.addresses, store: w.run.server.store,
    submitter: new Wallet(w.chain.settlementAccount.privateKey, w.chain.provider),
    logger: pino({ level: 'silent' }), pollMs: 100, retryMinMs: 50,
  });
  w.watchers.push(watcher);
  return watcher;
}

async function teardown(w: World | undefined): Promise<void> {
  if (!w) return;
  for (const watcher of w.watchers) await watcher.close();
  await w.run.server.close();
  await w.redis?.stop();
  await w.chain.close();
}

/** A model with a bound wallet and an open show, and a client with a bound wallet and a channel to the model. */
async function paidShow(w: World, clientIndex: number, modelIndex: number, deposit: bigint) {
  const clientWallet = new Wallet(w.chain.demoAccounts[clientIndex]!.privateKey, w.chain.provider);
  const modelWallet = new Wallet(w.chain.demoAccounts[modelIndex]!.privateKey, w.chain.provider);
  const model = await login(w.run.url, 'model');
  const client = await login(w.run.url, 'client');
  await bind(model, modelWallet);
  await bind(client, clientWallet);
  const payer = connectChannels(clientWallet, w.chain.addresses);
  await payer.openWithPermit(modelWallet.address, deposit);
  const channelId = (await payer.getChannel(clientWallet.address, modelWallet.address)).channelId;
  const { showId } = await ok(model.socket, 'show:open', {});
  await mediaArrives(w.run, model, showId);
  await ok(client.socket, 'show:watch', { model: model.key });
  /** Tips `cumulative` in total so far (a voucher for the running total), through signaling. */
  const tipUpTo = async (cumulative: bigint) => {
    const v = await payer.signVoucher(channelId, cumulative);
    return ok(client.socket, 'chat:tip', { showId, voucher: wire(v) });
  };
  return { clientWallet, modelWallet, model, client, payer, channelId, tipUpTo };
}

function proof(name: string, withRedis: boolean) {
  const t = suite(`settlement watcher: the model's money while they are offline (${name})`);
  let w: World;
  t.before(async () => { w = await world(withRedis); });
  t.after(() => teardown(w));

  t('K tips, no settle, model gone, client closes: the watcher settles before closesAt; balances match to the wei', async () => {
    const deposit = LIVE(20);
    const s = await paidShow(w, 0, 1, deposit);
    const K = 5;
    let total = 0n;
    for (let k = 1; k <= K; k++) {
      total += LIVE(k) / 4n; // 0.25, 0.5, ... LIVE: uneven amounts, so the fee rounds
      const r = await s.tipUpTo(total);
      assert.is(r.amount, (LIVE(k) / 4n).toString());
    }
    // The server kept the latest voucher: the model's money, listed for the model on any device.
    const { vouchers } = await ok(s.model.socket, 'vouchers:list', {});
    assert.equal(vouchers.map((v) => [v.channelId, v.cumulativeAmount]), [[s.channelId, total.toString()]]);

    const balances = async () => {
      const [model, feeTo, client, submitter] = await Promise.all(
        [s.modelWallet.address, w.chain.feeRecipient, s.clientWallet.address, w.chain.settlementAccount.address].map((a) => w.reader.balanceOf(a)));
      return { model: model!, feeTo: feeTo!, client: client!, submitter: submitter! };
    };
    const before = await balances();
    // The model never settles and goes away.
    s.model.socket.close();
    const watcher = watcherFor(w);
    const settled = new Promise<SettledEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the watcher did not settle within 10 s')), 10_000);
      watcher.events.once('settled', (e) => { clearTimeout(timer); resolve(e); });
    });
    watcher.start();
    await until(async () => watcher.following === 0, 5_000, 'the catch-up'); // nothing is closing yet
    const close = await s.payer.requestClose(s.modelWallet.address);
    const closing = await w.reader.getChannel(s.clientWallet.address, s.modelWallet.address);
    assert.is(closing.state, 'closing');
    assert.is(closing.paid, 0n, 'nobody settled before the close');

    const event = await settled;
    assert.equal([event.channelId, event.cumulativeAmount], [s.channelId, total]);
    const receipt = await w.chain.provider.getTransactionReceipt(event.hash);
    const block = await w.chain.provider.getBlock(receipt!.blockNumber);
    assert.ok(BigInt(block!.timestamp) < closing.closesAt, 'settled before closesAt');
    assert.ok(receipt!.blockNumber > close.receipt.blockNumber);
    assert.is(receipt!.from, w.chain.settlementAccount.address, 'submitted by the platform, not by the model');
    assert.is((await w.reader.getChannel(s.clientWallet.address, s.modelWallet.address)).paid, total);

    // After the challenge period the client withdraws the rest.
    await w.chain.increaseTime(CHALLENGE_PERIOD + 1);
    await s.payer.withdraw(s.modelWallet.address);
    const after = await balances();
    assert.is(after.model - before.model, total - fee(total), 'the model holds every tip, minus the fee, to the wei');
    assert.is(after.feeTo - before.feeTo, fee(total), 'the fee recipient holds the fee');
    assert.is(after.client - before.client, deposit - total, 'the client got back exactly what was not paid');
    assert.is(after.submitter, before.submitter, 'the submitter is paid nothing');
    assert.is((await w.reader.getChannel(s.clientWallet.address, s.modelWallet.address)).state, 'closed');
    s.client.socket.close();
  });

  t.run();
}

proof('memory store', false);
proof('Redis store', true);

const rules = suite('settlement watcher: catch-up, no double submission, late-kept vouchers');
let r: World;
rules.before(async () => { r = await world(false); });
rules.after(() => teardown(r));

rules('a close requested before the watcher started is caught up; one the model settled is never submitted; a later voucher is settled once more before closesAt', async () => {
  const a = await paidShow(r, 0, 1, LIVE(10));
  await a.tipUpTo(LIVE(2));
  const b = await paidShow(r, 2, 3, LIVE(10));
  await b.tipUpTo(LIVE(3));
  // The model of channel B settles its own voucher; both clients close while no watcher runs.
  const { vouchers } = await ok(b.model.socket, 'vouchers:list', {});
  await connectChannels(b.modelWallet, r.chain.addresses).settle(b.clientWallet.address, {
    channelId: vouchers[0]!.channelId, cumulativeAmount: BigInt(vouchers[0]!.cumulativeAmount), signature: vouchers[0]!.signature,
  });
  await a.payer.requestClose(a.modelWallet.address);
  await b.payer.requestClose(b.modelWallet.address);
  const nonce0 = await r.chain.provider.getTransactionCount(r.chain.settlementAccount.address);

  const watcher = watcherFor(r);
  const seen: SettledEvent[] = [];
  watcher.events.on('settled', (e) => seen.push(e));
  await watcher.poll(); // the catch-up
  await watcher.poll();
  assert.equal(seen.map((e) => [e.channelId, e.cumulativeAmount]), [[a.channelId, LIVE(2)]]);
  assert.is((await r.reader.getChannel(a.clientWallet.address, a.modelWallet.address)).paid, LIVE(2));
  assert.is(await r.chain.provider.getTransactionCount(r.chain.settlementAccount.address), nonce0 + 1, 'one transaction: B was already settled');
  // A voucher handed over after the close (the model's browser comes back with one from the data channel) is settled too.
  const later = await a.payer.signVoucher(a.channelId, LIVE(4));
  const stored = await ok(a.client.socket, 'vouchers:store', { model: a.model.key, voucher: wire(later) });
  assert.is(stored.stored, true);
  await watcher.poll();
  assert.equal(seen.map((e) => e.cumulativeAmount), [LIVE(2)], 'not at once: the second settlement waits for the final window');
  const { closesAt } = await r.reader.getChannel(a.clientWallet.address, a.modelWallet.address);
  await r.chain.increaseTime(Number(closesAt) - (await r.chain.provider.getBlock('latest'))!.timestamp - 300);
  await watcher.poll();
  assert.equal(seen.map((e) => e.cumulativeAmount), [LIVE(2), LIVE(4)], 'settled in the last 10 minutes');
  assert.is((await r.reader.getChannel(a.clientWallet.address, a.modelWallet.address)).paid, LIVE(4));
  // Two transactions per close at most: a client handing over ever higher vouchers cannot drain the submitter's gas.
  const more = await a.payer.signVoucher(a.channelId, LIVE(4) + 1n);
  assert.is((await ok(a.client.socket, 'vouchers:store', { model: a.model.key, voucher: wire(more) })).stored, true);
  await watcher.poll();
  await watcher.poll();
  assert.is(await r.chain.provider.getTransactionCount(r.chain.settlementAccount.address), nonce0 + 2);
  assert.is((await r.reader.getChannel(a.clientWallet.address, a.modelWallet.address)).paid, LIVE(4));
  // After closesAt the channels are no longer followed.
  await r.chain.increaseTime(CHALLENGE_PERIOD + 1);
  await watcher.poll();
  assert.is(watcher.following, 0);
  for (const u of [a.model, a.client, b.model, b.client]) u.socket.close();
});

rules.run();

/** A real HTTP hop in front of the chain's JSON-RPC endpoint that can be taken down (503) and brought back. */
async function rpcHop(target: string): Promise<{ url: string; up: boolean; requests: number; close(): Promise<void> }> {
  const state = { up: true, requests: 0 };
  const server: Server = createServer((req, res) => {
    state.requests++;
    if (!state.up) {
      req.resume();
      res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
      return;
    }
    const upstream = httpRequest(target, { method: 'POST', headers: { 'content-type': 'application/json' } }, (r) => {
      res.writeHead(r.statusCode ?? 502, { 'content-type': 'application/json' });
      r.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  });
}

const outage = suite('settlement watcher: over plain HTTP JSON-RPC, through an outage');
let o: World;
outage.before(async () => { o = await world(false); });
outage.after(() => teardown(o));

outage('while the RPC is down the watcher backs off and retries; once it is back the close is settled', async () => {
  const a = await paidShow(o, 0, 1, LIVE(10));
  await a.tipUpTo(LIVE(3));
  await a.payer.requestClose(a.modelWallet.address);
  const hop = await rpcHop(o.chain.rpcUrl);
  const provider = new JsonRpcProvider(hop.url, o.chain.chainId, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  try {
    hop.up = false;
    const watcher = new SettlementWatcher({
      provider, addresses: o.chain.addresses, store: o.run.server.store,
      submitter: new Wallet(o.chain.settlementAccount.privateKey, provider),
      logger: pino({ level: 'silent' }), pollMs: 100, retryMinMs: 100, retryMaxMs: 400, maxBlockRange: 3,
    });
    o.watchers.push(watcher);
    const retries: number[] = [];
    watcher.events.on('error', (e) => retries.push(e.retryInMs));
    const settled = new Promise<SettledEvent>((resolve) => watcher.events.once('settled', resolve));
    watcher.start();
    await until(() => retries.length >= 4, 10_000, 'four failed polls');
    assert.equal(retries.slice(0, 4), [100, 200, 400, 400], 'exponential backoff, capped');
    assert.is((await o.reader.getChannel(a.clientWallet.address, a.modelWallet.address)).paid, 0n);
    hop.up = true;
    const event = await Promise.race([settled, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('not settled after the RPC came back')), 10_000))]);
    assert.equal([event.channelId, event.cumulativeAmount], [a.channelId, LIVE(3)]);
    assert.is((await o.reader.getChannel(a.clientWallet.address, a.modelWallet.address)).paid, LIVE(3));
    assert.ok(hop.requests > 10, 'everything went over the HTTP endpoint');
    await watcher.close();
    await watcher.close();
  } finally {
    provider.destroy();
    await hop.close();
  }
  for (const u of [a.model, a.client]) u.socket.close();
});

outage.run();

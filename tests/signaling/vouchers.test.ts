/**
 * `vouchers:list` and `vouchers:store` against a real dev chain: every voucher the server accepts is kept for the
 * model; a handed-over voucher is checked like any other (signer = the sender of the model's channel with that
 * id, within the deposit) and kept only when higher; a model lists only the channels paying their own wallet.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet, parseUnits } from 'ethers';
import { startDevChain, type DevChain } from '../../contracts/devchain.ts';
import { connectChannels, type LiveChannelsClient } from '../../contracts/client.ts';
import { signVoucher, voucherDomain } from '../../contracts/voucher.ts';
import { bindWallet, walletBindingMessage } from '../../contracts/wallet-binding.ts';
import type { Voucher } from '../../signaling/protocol.ts';
import { call, login, mediaArrives, ok, startServer, type Running, type User } from './helpers.ts';

const LIVE = (n: number) => parseUnits(String(n), 18);
const t = suite('kept vouchers over signaling');
let chain: DevChain;
let run: Running;
let model: User;
let otherModel: User;
let client: User;
let payer: LiveChannelsClient;
let channelId: string;
let modelWallet: Wallet;
let clientWallet: Wallet;

async function bind(u: User, w: Wallet): Promise<void> {
  const walletSignature = await w.signMessage(walletBindingMessage(u.key));
  const b = await bindWallet(u.identity, w.address, walletSignature);
  await ok(u.socket, 'wallet:bind', { address: b.address, walletSignature, identitySignature: b.identitySignature });
}

const wire = (v: { channelId: string; cumulativeAmount: bigint; signature: string }): Voucher =>
  ({ channelId: v.channelId, cumulativeAmount: v.cumulativeAmount.toString(), signature: v.signature });

const code = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? null : r.error!.code);

t.before(async () => {
  chain = await startDevChain({ port: 0, demoAccounts: 4 });
  run = await startServer({ chain: { provider: chain.provider, addresses: chain.addresses, chainId: chain.chainId, rpcUrl: chain.rpcUrl } });
  clientWallet = new Wallet(chain.demoAccounts[0]!.privateKey, chain.provider);
  modelWallet = new Wallet(chain.demoAccounts[1]!.privateKey, chain.provider);
  model = await login(run.url, 'model');
  otherModel = await login(run.url, 'model');
  client = await login(run.url, 'client');
  await bind(model, modelWallet);
  await bind(otherModel, new Wallet(chain.demoAccounts[2]!.privateKey, chain.provider));
  await bind(client, clientWallet);
  payer = connectChannels(clientWallet, chain.addresses);
  await payer.openWithPermit(modelWallet.address, LIVE(10));
  channelId = (await payer.getChannel(clientWallet.address, modelWallet.address)).channelId;
});
t.after(async () => {
  for (const u of [model, otherModel, client]) u?.socket.close();
  await run?.server.close();
  await chain?.close();
});

t('a tip the server accepts is kept for the model, with the two addresses and nothing else', async () => {
  const { showId } = await ok(model.socket, 'show:open', {});
  await mediaArrives(run, model, showId);
  await ok(client.socket, 'show:watch', { model: model.key });
  const v = await payer.signVoucher(channelId, LIVE(1));
  await ok(client.socket, 'chat:tip', { showId, voucher: wire(v) });
  await ok(model.socket, 'show:close', {});
  const { vouchers } = await ok(model.socket, 'vouchers:list', {});
  assert.is(vouchers.length, 1);
  const kept = vouchers[0]!;
  assert.equal({ ...kept, updatedAt: 0 }, {
    channelId, cumulativeAmount: LIVE(1).toString(), signature: v.signature,
    sender: clientWallet.address.toLowerCase(), receiver: modelWallet.address.toLowerCase(), updatedAt: 0,
  });
  assert.ok(kept.updatedAt > Date.now() - 60_000 && kept.updatedAt <= Date.now());
  // Another model sees none of it; a client cannot list.
  assert.equal((await ok(otherModel.socket, 'vouchers:list', {})).vouchers, []);
  assert.is(code(await call(client.socket, 'vouchers:list', {})), 'FORBIDDEN');
});

t('vouchers:store keeps a higher voucher, answers stored:false for one that is not, and lists it', async () => {
  const higher = await payer.signVoucher(channelId, LIVE(3));
  assert.is((await ok(client.socket, 'vouchers:store', { model: model.key, voucher: wire(higher) })).stored, true);
  // The model's own device may hand one over too; equal or lower is not kept.
  assert.is((await ok(model.socket, 'vouchers:store', { model: model.key, voucher: wire(higher) })).stored, false);
  const lower = await payer.signVoucher(channelId, LIVE(2));
  assert.is((await ok(client.socket, 'vouchers:store', { model: model.key, voucher: wire(lower) })).stored, false);
  const { vouchers } = await ok(model.socket, 'vouchers:list', {});
  assert.equal(vouchers.map((v) => v.cumulativeAmount), [LIVE(3).toString()]);
  // Handing a voucher over keeps it; it does not count as a payment made through signaling (no tip, no minute).
  assert.is(await run.server.store.channelHighWater(channelId), LIVE(1).toString());
});

t('vouchers:store refuses a wrong signer, another model, an amount over the deposit, garbage', async () => {
  const stranger = Wallet.createRandom();
  const domain = voucherDomain(chain.chainId, chain.addresses.channels);
  const forged = await signVoucher(stranger, domain, { channelId, cumulativeAmount: LIVE(5) });
  assert.is(code(await call(client.socket, 'vouchers:store', { model: model.key, voucher: wire(forged) })), 'VOUCHER_INVALID');
  const real = await payer.signVoucher(channelId, LIVE(5));
  assert.is(code(await call(client.socket, 'vouchers:store', { model: otherModel.key, voucher: wire(real) })), 'VOUCHER_INVALID',
    'the channel pays another wallet');
  const over = await payer.signVoucher(channelId, LIVE(10) + 1n);
  assert.is(code(await call(client.socket, 'vouchers:store', { model: model.key, voucher: wire(over) })), 'VOUCHER_INVALID');
  const unbound = await login(run.url, 'model');
  assert.is(code(await call(client.socket, 'vouchers:store', { model: unbound.key, voucher: wire(real) })), 'CHANNEL_INSUFFICIENT');
  unbound.socket.close();
  assert.is(code(await call(client.socket, 'vouchers:store', { model: model.key, voucher: { ...wire(real), cumulativeAmount: '-1' } })), 'BAD_REQUEST');
  assert.is(code(await call(client.socket, 'vouchers:store', { model: model.key, voucher: { ...wire(real), signature: '0x' + '00'.repeat(65) } })), 'VOUCHER_INVALID');
  assert.equal((await ok(model.socket, 'vouchers:list', {})).vouchers.map((v) => v.cumulativeAmount), [LIVE(3).toString()]);
});

t('a voucher at or below what is settled on-chain is not kept', async () => {
  const v = await payer.signVoucher(channelId, LIVE(4));
  await connectChannels(modelWallet, chain.addresses).settle(clientWallet.address, v);
  const same = await payer.signVoucher(channelId, LIVE(4));
  assert.is((await ok(client.socket, 'vouchers:store', { model: model.key, voucher: wire(same) })).stored, false);
  const next = await payer.signVoucher(channelId, LIVE(6));
  assert.is((await ok(client.socket, 'vouchers:store', { model: model.key, voucher: wire(next) })).stored, true);
});

t.run();

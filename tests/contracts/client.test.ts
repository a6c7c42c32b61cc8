import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { build } from 'esbuild';
import { AbiCoder, JsonRpcProvider, Wallet, id } from 'ethers';
import { connectChannels, toPaymentError } from '../../contracts/client.ts';
import { PaymentError } from '../../contracts/errors.ts';
import { verifyVoucher } from '../../contracts/voucher.ts';
import { LIVE, type TestChain, rejects, testChain } from './helpers.ts';

const client = suite('client: typed LiveChannels client, error mapping, browser safety');
let t: TestChain;

client.before(async () => {
  t = await testChain();
});
client.after(async () => {
  await t.close();
});

client('works against the HTTP JSON-RPC endpoint like any remote node', async () => {
  const http = new JsonRpcProvider(t.chain.rpcUrl, undefined, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  try {
    const payer = connectChannels(new Wallet(t.wallet(0).privateKey, http), t.chain.addresses);
    const model = payer.connect(new Wallet(t.wallet(1).privateKey, http));
    await payer.openWithPermit(t.wallet(1).address, LIVE(4));
    const info = await model.getChannel(t.wallet(0).address, t.wallet(1).address);
    const v = await payer.signVoucher(info.channelId, LIVE(1));
    assert.ok(verifyVoucher(await model.domain(), v, t.wallet(0).address));
    const res = await model.settle(t.wallet(0).address, v);
    assert.is(res.receipt.status, 1);
    assert.ok(res.gasUsed > 21_000n);
    await rejects(model.settle(t.wallet(0).address, v), 'PAYMENT_VOUCHER_NOT_NEWER', 'VoucherNotNewer');
    assert.is((await model.getChannelById(info.channelId))?.paid, LIVE(1));
  } finally {
    http.destroy();
  }
});

client('a read-only client reads but refuses to send or sign, with a clear error', async () => {
  const reader = connectChannels(t.chain.provider, t.chain.addresses);
  assert.is(await reader.feeBps(), 250n);
  await rejects(reader.open(t.wallet(1).address, 1n), 'PAYMENT_BAD_INPUT');
  await rejects(reader.signVoucher(`0x${'00'.repeat(32)}`, 1n), 'PAYMENT_BAD_INPUT');
});

client('toPaymentError maps custom errors, unknown reverts and transport errors', () => {
  const data = id('ChannelNotOpen(address,address)').slice(0, 10) + AbiCoder.defaultAbiCoder().encode(['address', 'address'], [t.wallet(0).address, t.wallet(1).address]).slice(2);
  const mapped = toPaymentError({ code: 'CALL_EXCEPTION', data });
  assert.is(mapped.code, 'PAYMENT_CHANNEL_NOT_OPEN');
  assert.equal(mapped.revert?.args, [t.wallet(0).address, t.wallet(1).address]);
  assert.is(toPaymentError({ error: { data: { data } } }).code, 'PAYMENT_CHANNEL_NOT_OPEN', 'nested revert data is found');
  assert.is(toPaymentError({ data: '0xdeadbeef' }).code, 'PAYMENT_RPC_ERROR');
  assert.is(toPaymentError(new Error('socket hang up')).code, 'PAYMENT_RPC_ERROR');
  const own = new PaymentError('PAYMENT_ZERO_AMOUNT', 'x');
  assert.is(toPaymentError(own), own);
  assert.equal(JSON.parse(JSON.stringify(mapped)), { code: 'PAYMENT_CHANNEL_NOT_OPEN', message: mapped.message });
});

client('voucher, metering, client and errors bundle for the browser (no node: imports, no native addons)', async () => {
  const out = await build({
    entryPoints: ['contracts/voucher.ts', 'contracts/metering.ts', 'contracts/client.ts', 'contracts/errors.ts', 'contracts/abi.ts'],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    outdir: 'out',
    logLevel: 'silent',
  });
  assert.is(out.errors.length, 0);
  for (const f of out.outputFiles) assert.not.match(f.text, /from\s*["']node:|require\(["']node:/, f.path);
});

client.run();

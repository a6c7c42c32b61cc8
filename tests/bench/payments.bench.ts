/**
 * `npm run bench:payments`: on-chain gas per paid minute (per-minute ERC-20 transfers vs payment channels) on
 * the in-process EDR chain, and off-chain voucher verifications per second on one core. Prints one
 * `name: value unit` line per figure.
 *
 * Scenarios:
 * - gas_transfer_per_minute: one LIVE transfer per paid minute, 60 minutes to a model who starts with none.
 * - gas_per_minute_one_channel_per_hour: openWithPermit + one cooperative close with the final voucher, for
 *   one 60-minute session.
 * - gas_per_minute_reused_batched: 20 clients each open one channel (with permit) to the same model and reuse it
 *   for 10 sessions of 30 minutes; after each round of sessions the model settles the 20 channels in one
 *   settleBatch. The channels stay open for later sessions. `..._with_close` adds each channel's final
 *   cooperative close.
 * - gas_settle_for(_batch19_two_models_per_channel): the settlement watcher's case, a third party collecting
 *   vouchers for their receivers (the first settlement of each channel, so the receivers are new token holders).
 * - voucher_verifications_per_second: vouchers arriving as JSON, parsed, signature recovered with the native
 *   verifier, and run through each channel's PaymentMeter (channel, monotonic, deposit, lateness checks).
 */
import { Wallet, parseUnits } from 'ethers';
import { type LiveChannelsClient, connectChannels } from '../../contracts/client.ts';
import { startDevChain } from '../../contracts/devchain.ts';
import { PaymentMeter } from '../../contracts/metering.ts';
import { type SignedVoucher, parseSignedVoucher, signVoucher, verifyVoucher, voucherDomain, voucherToJSON } from '../../contracts/voucher.ts';
import { fastVerifySignature } from '../../contracts/voucher-verifier.ts';

const PRICE = parseUnits('1', 18); // 1 LIVE per minute
const CLIENTS = 20;
const SESSIONS = 10;
const SESSION_MINUTES = 30;

function line(name: string, value: number, unit: string): void {
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 0);
  console.log(`${name}: ${shown} ${unit}`);
}

const chain = await startDevChain({ port: 0, demoAccounts: CLIENTS + 3, platformFeeBps: 250 });
try {
  const wallets = chain.demoAccounts.map((a) => new Wallet(a.privateKey, chain.provider));
  const at = (i: number): Wallet => {
    const w = wallets[i];
    if (!w) throw new Error(`no demo account ${i}`);
    return w;
  };
  const client = (w: Wallet): LiveChannelsClient => connectChannels(w, chain.addresses);

  // --- Baseline: one ERC-20 transfer per minute, to a model with no LIVE yet.
  {
    const payer = at(0);
    const model = Wallet.createRandom().address;
    const transfer = client(payer).token.getFunction('transfer');
    let gas = 0n;
    for (let m = 0; m < 60; m++) {
      const receipt = await (await transfer.send(model, PRICE)).wait();
      gas += receipt!.gasUsed;
    }
    line('gas_transfer_per_minute', Number(gas) / 60, 'gas/min');
  }

  // --- One channel for one 60-minute session.
  {
    const payer = client(at(1));
    const model = client(at(2));
    const opened = await payer.openWithPermit(at(2).address, 60n * PRICE);
    const ch = await payer.getChannel(at(1).address, at(2).address);
    const last = await payer.signVoucher(ch.channelId, 60n * PRICE);
    const closed = await model.close(at(1).address, last);
    line('gas_open_with_permit', Number(opened.gasUsed), 'gas');
    line('gas_close_with_voucher', Number(closed.gasUsed), 'gas');
    line('gas_per_minute_one_channel_per_hour', Number(opened.gasUsed + closed.gasUsed) / 60, 'gas/min');
  }

  // --- 20 reused channels, 10 sessions of 30 minutes each, settled in batches of 20.
  {
    const modelWallet = Wallet.createRandom().connect(chain.provider);
    await (await chain.deployer.sendTransaction({ to: modelWallet.address, value: parseUnits('10', 18) })).wait();
    const model = client(modelWallet as unknown as Wallet);
    const payers = Array.from({ length: CLIENTS }, (_, i) => at(3 + i));
    let openGas = 0n;
    const ids: string[] = [];
    for (const p of payers) {
      openGas += (await client(p).openWithPermit(modelWallet.address, BigInt(SESSIONS * SESSION_MINUTES) * PRICE)).gasUsed;
      ids.push((await client(p).getChannel(p.address, modelWallet.address)).channelId);
    }
    const domain = voucherDomain(chain.chainId, chain.addresses.channels);
    let settleGas = 0n;
    const lastVouchers: SignedVoucher[] = [];
    for (let s = 1; s <= SESSIONS; s++) {
      const entries = await Promise.all(payers.map(async (p, i) => {
        // The session's vouchers are cumulative; the model settles the last one.
        const voucher = await signVoucher(p, domain, { channelId: ids[i]!, cumulativeAmount: BigInt(s * SESSION_MINUTES) * PRICE });
        lastVouchers[i] = voucher;
        return { sender: p.address, voucher };
      }));
      settleGas += (await model.settleBatch(entries)).gasUsed;
    }
    let closeGas = 0n;
    for (const p of payers) closeGas += (await model.close(p.address)).gasUsed;
    const minutes = CLIENTS * SESSIONS * SESSION_MINUTES;
    line('gas_settle_batch20_per_channel', Number(settleGas) / (SESSIONS * CLIENTS), 'gas');
    line('gas_per_minute_reused_batched', Number(openGas + settleGas) / minutes, 'gas/min');
    line('gas_per_minute_reused_batched_with_close', Number(openGas + settleGas + closeGas) / minutes, 'gas/min');
  }

  // --- The platform's watcher collecting for offline models: 20 channels of 2 models, by a third-party submitter.
  {
    const submitter = client(at(0));
    const models = [Wallet.createRandom().address, Wallet.createRandom().address];
    const payers = Array.from({ length: CLIENTS }, (_, i) => at(3 + i));
    const domain = voucherDomain(chain.chainId, chain.addresses.channels);
    const entries = [];
    for (const [i, p] of payers.entries()) {
      const receiver = models[i % 2]!;
      await client(p).openWithPermit(receiver, 10n * PRICE);
      const { channelId } = await client(p).getChannel(p.address, receiver);
      entries.push({ sender: p.address, receiver, voucher: await signVoucher(p, domain, { channelId, cumulativeAmount: PRICE }) });
    }
    const [first, ...rest] = entries;
    const single = await submitter.settleFor(first!.sender, first!.receiver, first!.voucher);
    const batch = await submitter.settleForBatch(rest);
    line('gas_settle_for', Number(single.gasUsed), 'gas');
    line('gas_settle_for_batch19_two_models_per_channel', Math.round(Number(batch.gasUsed) / rest.length), 'gas');
  }

  // --- Off-chain verification throughput, one thread.
  {
    const channels = 20;
    const perChannel = 100;
    const domain = voucherDomain(chain.chainId, chain.addresses.channels);
    const signers = Array.from({ length: channels }, () => Wallet.createRandom());
    const ids = signers.map((_, i) => `0x${(i + 1).toString(16).padStart(64, '0')}`);
    const wire: { channel: number; json: string }[] = [];
    for (let m = 1; m <= perChannel; m++) {
      for (let c = 0; c < channels; c++) {
        const v = await signVoucher(signers[c]!, domain, { channelId: ids[c]!, cumulativeAmount: BigInt(m) * PRICE });
        wire.push({ channel: c, json: JSON.stringify(voucherToJSON(v)) });
      }
    }
    const newMeters = (now: number) => signers.map((s, c) => new PaymentMeter({
      domain,
      channelId: ids[c]!,
      sender: s.address,
      pricePerMinute: PRICE,
      deposit: BigInt(perChannel) * PRICE,
      baseline: 0n,
      startedAt: now,
      verifySignature: fastVerifySignature,
    }));
    const run = (verify: boolean): number => {
      let done = 0;
      const started = performance.now();
      while (performance.now() - started < 2_000) {
        const now = Date.now();
        const meters = newMeters(now);
        for (const w of wire) {
          const v = parseSignedVoucher(JSON.parse(w.json));
          const d = verify ? meters[w.channel]!.accept(v, now) : { action: 'continue' };
          if (d.action !== 'continue') throw new Error(`voucher rejected: ${JSON.stringify(d)}`);
          done++;
        }
      }
      return done / ((performance.now() - started) / 1000);
    };
    run(true); // warm-up
    line('voucher_verifications_per_second', Math.round(run(true)), 'verifications/s');
    // Reference point: ethers' pure-JS recovery for the same check.
    const sample = wire.slice(0, 200).map((w) => parseSignedVoucher(JSON.parse(w.json)));
    const started = performance.now();
    let n = 0;
    while (performance.now() - started < 1_000) {
      for (const v of sample) {
        if (!verifyVoucher(domain, v, signers[Number(BigInt(v.channelId)) - 1]!.address)) throw new Error('bad');
        n++;
      }
    }
    line('voucher_verifications_per_second_ethers', Math.round(n / ((performance.now() - started) / 1000)), 'verifications/s');
  }
} finally {
  await chain.close();
}

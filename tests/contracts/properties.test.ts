/**
 * Property-based test of LiveChannels against a model: random sequences of open / topUp / sign / settle /
 * settleBatch / settleFor / settleForBatch (by anyone) / close / requestClose / time travel / withdraw over 2 clients and
 * 2 models, with a third party among the submitters. Each step's outcome
 * (success or the exact error) and every token movement is predicted by the model and checked on-chain, then
 * the invariants are asserted:
 * - the contract's token balance equals deposits minus payouts minus refunds;
 * - what a channel paid out (fee included) never exceeds the highest amount its sender signed for it;
 * - a sender never loses more than that (their balance, less what is still refundable);
 * - replays, and vouchers from another channel, contract or chain, or another signer, pay nothing.
 * Each run starts from a chain snapshot; block timestamps are set explicitly so time is deterministic.
 * Runs are bounded (FC_RUNS, default 40) and seeded (FC_SEED, default fixed).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Wallet } from 'ethers';
import { PaymentError } from '../../contracts/errors.ts';
import { type Ctx, type Model, type Op, type Outcome, type PoolVoucher, emptyModel, opsArb, predict } from './property-model.ts';
import { computeChannelId, signVoucher, voucherDomain } from '../../contracts/voucher.ts';
import { LIVE, type TestChain, deployOtherChannels, testChain } from './helpers.ts';

const RUNS = Number(process.env.FC_RUNS ?? 40);
const SEED = Number(process.env.FC_SEED ?? 20261121);
const CHALLENGE = 100;
const FEE_BPS = 250n;

const prop = suite('LiveChannels: model-based properties');
let t: TestChain;
let otherContract: string;
const stranger = Wallet.createRandom();
const SENDERS = [0, 1];
const RECEIVERS = [3, 4];
/** Who submits settleFor / settleForBatch: account 2 is neither end of any channel. */
const SUBMITTERS = [2, ...SENDERS, ...RECEIVERS];

prop.before(async () => {
  t = await testChain({ platformFeeBps: Number(FEE_BPS), challengePeriodSeconds: CHALLENGE, demoAccounts: 5 });
  otherContract = await deployOtherChannels(t);
});
prop.after(async () => {
  await t.close();
});

interface Flows {
  deposits: bigint;
  payouts: bigint;
  refunds: bigint;
}

prop('random operation sequences keep the money invariants', async () => {
  const addr = (i: number) => t.wallet(i).address;
  const watched = [...SENDERS.map(addr), ...RECEIVERS.map(addr), t.chain.feeRecipient, t.chain.addresses.channels];
  const balances = async () => Promise.all(watched.map((a) => t.balance(a)));
  let runs = 0;
  const stats = new Map<string, number>();
  const count = (key: string) => stats.set(key, (stats.get(key) ?? 0) + 1);

  await fc.assert(
    fc.asyncProperty(opsArb(SENDERS, RECEIVERS, SUBMITTERS), async (ops: Op[]) => {
      runs++;
      const snapshot = await t.chain.request('evm_snapshot');
      try {
        const latest = (await t.chain.provider.getBlock('latest'))!;
        let clock = latest.timestamp + 1;
        const model: Model = emptyModel();
        const pool: PoolVoucher[] = [];
        const start = await balances();
        const startContract = start[watched.length - 1]!;
        const flows: Flows = { deposits: 0n, payouts: 0n, refunds: 0n };
        const domain = t.domain;
        const ctx: Ctx = {
          challenge: BigInt(CHALLENGE),
          feeBps: FEE_BPS,
          id: (s, r, e) => computeChannelId(domain, addr(s), addr(r), e),
          addr,
          feeRecipient: t.chain.feeRecipient,
          channels: t.chain.addresses.channels,
        };

        for (const op of ops) {
          if (op.k === 'travel') {
            clock += op.seconds;
            continue;
          }
          if (op.k === 'sign') {
            const ch = model.pair(op.s, op.r);
            const epoch = op.variant === 'nextEpoch' || !ch.open ? ch.epoch + 1 : ch.epoch;
            const channelId = computeChannelId(domain, addr(op.s), addr(op.r), epoch);
            const base = ch.open ? ch.deposit : LIVE(10);
            const amount = (base * BigInt(op.percent)) / 100n + 1n;
            const [signer, d] =
              op.variant === 'stranger' ? [stranger, domain]
              : op.variant === 'otherChain' ? [t.wallet(op.s), voucherDomain(1, domain.verifyingContract)]
              : op.variant === 'otherContract' ? [t.wallet(op.s), voucherDomain(domain.chainId, otherContract)]
              : [t.wallet(op.s), domain];
            const v = await signVoucher(signer, d, { channelId, cumulativeAmount: amount });
            const valid = op.variant === 'ok' || op.variant === 'nextEpoch';
            pool.push({ ...v, pair: `${op.s}:${op.r}`, validFor: valid ? channelId : null });
            if (valid) model.signed(channelId, amount);
            continue;
          }

          // Multi-transaction steps (approve, then open) only check time-independent conditions.
          const now = clock;
          const expected: Outcome = predict(model, op, pool, now, ctx);
          if (expected.skip) continue;
          clock += expected.txs.length;
          const before = await balances();
          let actualError: PaymentError | undefined;
          try {
            for (const [i, step] of expected.txs.entries()) {
              await t.chain.request('evm_setNextBlockTimestamp', [now + i]);
              await step(t);
            }
          } catch (err) {
            if (!(err instanceof PaymentError)) throw err;
            actualError = err;
          }
          const label = `${JSON.stringify(op, (_k, x) => (typeof x === 'bigint' ? String(x) : x))} at ${now}`;
          assert.is(actualError?.code, expected.error, `${label}: expected ${expected.error ?? 'success'}, got ${actualError?.code ?? 'success'} ${actualError?.message ?? ''}`);
          const after = await balances();
          const delta = after.map((b, i) => b - before[i]!);
          const want = watched.map((a) => expected.deltas.get(a.toLowerCase()) ?? 0n);
          assert.equal(delta, want, `${label}: token movements`);
          if (!expected.error) expected.commit();
          count(`${op.k}:${expected.error ?? 'ok'}`);
          // Money flows, from measured balances.
          const senderDelta = SENDERS.reduce((s, i) => s + delta[i]!, 0n);
          if (op.k === 'open' || op.k === 'topUp') flows.deposits += -senderDelta;
          else flows.refunds += senderDelta;
          flows.payouts += delta.slice(SENDERS.length, SENDERS.length + RECEIVERS.length + 1).reduce((s, x) => s + x, 0n);

          // Invariant 1: contract balance = deposits - payouts - refunds.
          assert.is(after[watched.length - 1]! - startContract, flows.deposits - flows.payouts - flows.refunds, `${label}: contract balance`);
          // Invariant 2: per channel, paid out <= highest amount signed by its sender for it.
          for (const [id, paid] of model.paidOut) {
            assert.ok(paid <= (model.maxSigned.get(id) ?? 0n), `${label}: channel ${id} paid ${paid} > signed ${model.maxSigned.get(id)}`);
          }
          // Invariant 3: each sender lost at most what they signed for their channels.
          for (const s of SENDERS) {
            const i = SENDERS.indexOf(s);
            const stillRefundable = RECEIVERS.reduce((sum, r) => {
              const ch = model.pair(s, r);
              return sum + (ch.open ? ch.deposit - ch.paid : 0n);
            }, 0n);
            const lost = start[i]! - after[i]! - stillRefundable;
            const signedMax = [...model.channelsOf(s)].reduce((sum, id) => sum + (model.maxSigned.get(id) ?? 0n), 0n);
            assert.ok(lost >= 0n && lost <= signedMax, `${label}: sender ${s} lost ${lost} > signed ${signedMax}`);
          }
        }
        // The chain's view of every pair matches the model.
        for (const s of SENDERS) {
          for (const r of RECEIVERS) {
            const info = await t.as(0).getChannel(addr(s), addr(r));
            const ch = model.pair(s, r);
            assert.equal(
              { epoch: info.epoch, deposit: info.deposit, paid: info.paid, closesAt: info.closesAt, open: info.state === 'open' || info.state === 'closing' },
              { epoch: BigInt(ch.epoch), deposit: ch.open ? ch.deposit : 0n, paid: ch.open ? ch.paid : 0n, closesAt: ch.closesAt, open: ch.open },
              `pair ${s}->${r}`,
            );
          }
        }
      } catch (err) {
        // fast-check reports the counterexample; print why it failed too.
        console.error(err instanceof Error ? err.message : err);
        throw err;
      } finally {
        await t.chain.request('evm_revert', [snapshot]);
      }
    }),
    { numRuns: RUNS, seed: SEED, endOnFailure: true },
  );
  assert.is(runs >= RUNS, true);
  // The generator must reach the interesting outcomes, or the properties prove little.
  for (const key of ['settle:ok', 'batch:ok', 'close:ok', 'withdraw:ok', 'settle:PAYMENT_VOUCHER_BAD_SIGNATURE', 'settle:PAYMENT_VOUCHER_NOT_NEWER', 'settle:PAYMENT_VOUCHER_OVER_DEPOSIT', 'settleFor:ok', 'batchFor:ok', 'settleFor:PAYMENT_VOUCHER_BAD_SIGNATURE']) {
    assert.ok((stats.get(key) ?? 0) > 0, `no ${key} in ${RUNS} runs: ${JSON.stringify([...stats])}`);
  }
  if (process.env.FC_STATS) console.log([...stats].sort().map(([k, v]) => `${k}=${v}`).join(' '));
});

prop.run();

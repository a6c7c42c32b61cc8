/**
 * The ranking formula (contracts/rating.ts) on hand-made chain data: the manipulations it must resist and the
 * fairness it promises, each against a model that would win without that rule.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { RATING_PARAMS, rateModels, ratingOf, type RatedSettlement, type RatedTransfer } from '../../contracts/rating.ts';

const LIVE = 10n ** 18n;
const DAY = 86_400;
const NOW = 1_800_000_000;
const addr = (tag: string, i = 0) => `0x${tag.padEnd(2, '0')}${i.toString(16).padStart(38, '0')}`;
const MODEL_A = addr('a1');
const MODEL_B = addr('b1');
const CHANNELS = addr('cc');
const pay = (sender: string, receiver: string, live: bigint, daysAgo = 30): RatedSettlement =>
  ({ sender, receiver, amount: live * LIVE, timestamp: NOW - daysAgo * DAY });
const rate = (settlements: RatedSettlement[], transfers: RatedTransfer[] = []) =>
  rateModels({ settlements, transfers, now: NOW, hubs: [CHANNELS] });

const damping = suite('rating: damped per payer');

damping('one large payer cannot outrank many payers of the same total', () => {
  const r = rate([
    pay(addr('p1'), MODEL_A, 100n),
    ...Array.from({ length: 10 }, (_, i) => pay(addr('p2', i), MODEL_B, 10n)),
  ]);
  assert.is(r.models[0]!.receiver, MODEL_B);
  assert.ok(ratingOf(r, MODEL_B).score > 3 * ratingOf(r, MODEL_A).score);
});

damping('splitting one payer\'s money into many settlements changes nothing', () => {
  const once = rate([pay(addr('p1'), MODEL_A, 100n)]);
  const split = rate(Array.from({ length: 100 }, () => pay(addr('p1'), MODEL_A, 1n)));
  assert.ok(Math.abs(ratingOf(once, MODEL_A).score - ratingOf(split, MODEL_A).score) < 1e-9);
  assert.is(ratingOf(split, MODEL_A).payers, 1);
});

damping('for any split of a total over distinct payers, more payers never score less', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 20 }), (parts) => {
    const total = parts.reduce((a, b) => a + b, 0);
    const many = ratingOf(rate(parts.map((p, i) => pay(addr('p3', i), MODEL_A, BigInt(p)))), MODEL_A).score;
    const one = ratingOf(rate([pay(addr('p4'), MODEL_A, BigInt(total))]), MODEL_A).score;
    return many >= one - 1e-9;
  }));
});
damping.run();

const self = suite('rating: self-dealing adds nothing');

self('a payer the model funded directly counts nothing', () => {
  const sock = addr('5c');
  const honest = rate([pay(addr('f1'), MODEL_A, 4n)]);
  const faked = rate([pay(addr('f1'), MODEL_A, 4n), pay(sock, MODEL_A, 10_000n)], [{ from: MODEL_A, to: sock }]);
  assert.is(ratingOf(faked, MODEL_A).score, ratingOf(honest, MODEL_A).score);
  assert.is(ratingOf(faked, MODEL_A).selfFundedPayers, 1);
});

self('one hop further counts nothing either', () => {
  const mid = addr('3d');
  const sock = addr('5d');
  const faked = rate([pay(sock, MODEL_A, 10_000n)], [{ from: MODEL_A, to: mid }, { from: mid, to: sock }]);
  assert.is(ratingOf(faked, MODEL_A).score, 0);
  assert.is(ratingOf(faked, MODEL_A).selfFundedPayers, 1);
});

self('paths through the channels contract do not taint (every payout and refund comes from it)', () => {
  const fan = addr('fa');
  // The model paid another model through the contract; the contract refunded this fan.
  const r = rate([pay(fan, MODEL_A, 9n, 0)], [{ from: MODEL_A, to: CHANNELS }, { from: CHANNELS, to: fan }]);
  assert.is(ratingOf(r, MODEL_A).score, 3);
});

self('funding another model\'s payers only changes the funder\'s own score', () => {
  const fan = addr('fb');
  const r = rate([pay(fan, MODEL_B, 16n, 0)], [{ from: MODEL_A, to: fan }]);
  assert.is(ratingOf(r, MODEL_B).score, 4);
});

self('a model paying itself is ignored', () => {
  assert.is(ratingOf(rate([pay(MODEL_A, MODEL_A, 100n)]), MODEL_A).score, 0);
});
self.run();

const decay = suite('rating: time decay');

decay('an amount counts half after one half-life', () => {
  const fresh = ratingOf(rate([pay(addr('d1'), MODEL_A, 64n, 0)]), MODEL_A).score;
  const old = ratingOf(rate([pay(addr('d1'), MODEL_A, 64n, RATING_PARAMS.halfLifeDays)]), MODEL_A).score;
  assert.ok(Math.abs(fresh - 8) < 1e-9);
  assert.ok(Math.abs(old - Math.sqrt(32)) < 1e-9);
});

decay('an old big month ranks below a recent smaller one', () => {
  const r = rate([pay(addr('d2'), MODEL_A, 1000n, 60), pay(addr('d3'), MODEL_B, 100n, 20)]);
  assert.is(r.models[0]!.receiver, MODEL_B);
});
decay.run();

const fresh = suite('rating: a fair place for new models');

fresh('a new model starts at the median of established models, never below', () => {
  const r = rate([
    pay(addr('e1'), addr('e0', 1), 1n), pay(addr('e2'), addr('e0', 2), 100n), pay(addr('e3'), addr('e0', 3), 10_000n),
    pay(addr('n1'), addr('ee'), 1n, 1),
  ]);
  const median = ratingOf(r, addr('e0', 2)).score;
  assert.is(r.prior, median);
  assert.ok(!ratingOf(r, addr('e0', 2)).isNew);
  const newcomer = ratingOf(r, addr('ee'));
  assert.ok(newcomer.isNew);
  assert.ok(newcomer.score < median);
  assert.is(newcomer.rankScore, median);
  // Tied with the median model (the lower address first), above the weakest established model.
  assert.equal(r.models.map((m) => m.receiver), [addr('e0', 3), addr('e0', 2), addr('ee'), addr('e0', 1)]);
  const neverPaid = ratingOf(r, addr('ef'));
  assert.ok(neverPaid.isNew && neverPaid.rankScore === median && neverPaid.score === 0);
});

fresh('the order is total: equal scores fall back to the wallet address', () => {
  const r = rate([pay(addr('t1'), addr('b2'), 4n), pay(addr('t2'), addr('a2'), 4n)]);
  assert.equal(r.models.map((m) => m.receiver), [addr('a2'), addr('b2')]);
});
fresh.run();

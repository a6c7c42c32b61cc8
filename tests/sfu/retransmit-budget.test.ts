/** Which NACKed packets are sent again (sfu/rtp/RetransmitBudget.ts). */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RETRANSMIT_SHARE, RetransmitBudget } from '../../sfu/rtp/RetransmitBudget.ts';

const b = suite('retransmission budget');

b('a packet too old to be played is not sent again', () => {
  const r = new RetransmitBudget();
  r.rttMs = 50;
  assert.ok(r.allow(1, 10_000, 1200, 1e9, 10_100));
  assert.not.ok(r.allow(2, 10_000, 1200, 1e9, 10_000 + r.maxAgeMs() + 1));
  assert.is(r.refusedStale, 1);
});

b('each packet at most once per round trip', () => {
  const r = new RetransmitBudget();
  r.rttMs = 100;
  assert.ok(r.allow(7, 1000, 1200, 1e9, 1010));
  assert.not.ok(r.allow(7, 1000, 1200, 1e9, 1060));
  assert.is(r.refusedRepeat, 1);
  assert.ok(r.allow(7, 1000, 1200, 1e9, 1120), 'again after a round trip');
});

b('a NACK storm gets at most its share of the estimate', () => {
  const r = new RetransmitBudget();
  r.rttMs = 1; // every packet is fresh and asked once: only the budget refuses
  const estimate = 400_000;
  let bytes = 0;
  let seq = 0;
  // 10 s of 1000 NACKed packets a second (~10 Mbit/s of asks).
  for (let t = 1000; t < 11_000; t += 1) {
    if (r.allow(seq, t - 5, 1250, RETRANSMIT_SHARE * estimate, t)) bytes += 1250;
    seq = (seq + 1) & 0xffff;
  }
  const allowed = (RETRANSMIT_SHARE * estimate / 8) * 10.5;
  assert.ok(bytes <= allowed, `${bytes} bytes over ${allowed}`);
  assert.ok(bytes >= allowed * 0.8, `${bytes} bytes: the budget is used`);
  assert.ok(r.refusedBudget > 0);
});

b.run();

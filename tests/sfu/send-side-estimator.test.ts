/**
 * The send-side estimator (sfu/rtp/SendSideEstimator.ts) fed with real
 * transport-cc feedback, built by the SFU's own feedback generator
 * (rtp/TwccFeedback.ts, what publishers' browsers read), for packets sent
 * through a simulated path: a fixed delay, optionally a bottleneck queue
 * and losses.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SendSideEstimator } from '../../sfu/rtp/SendSideEstimator.ts';
import { TwccFeedback } from '../../sfu/rtp/TwccFeedback.ts';

interface Path { bottleneckBps?: number; lose?: (i: number) => boolean }

/**
 * Sends `seconds` of `rateBps` in 1200-byte packets from `startMs`, through
 * `path`, with feedback every 100 ms; returns the time reached.
 */
function run(bwe: SendSideEstimator, feedback: TwccFeedback, rateBps: number, seconds: number, path: Path, startMs = 1000): number {
  const size = 1200;
  const interval = (size * 8 * 1000) / rateBps;
  let queueFreeAt = 0;
  let nextFeedback = startMs + 100;
  let t = startMs;
  for (let i = 0; t < startMs + seconds * 1000; i++, t += interval) {
    while (t >= nextFeedback) {
      const fb = feedback.build();
      if (fb) bwe.feedback(fb, 0, fb.length, nextFeedback);
      nextFeedback += 100;
    }
    const seq = bwe.sent(size, t);
    if (path.lose?.(i)) continue;
    let arrival = t + 20;
    if (path.bottleneckBps) {
      arrival = Math.max(arrival, queueFreeAt) + (size * 8 * 1000) / path.bottleneckBps;
      queueFreeAt = arrival;
    }
    feedback.record(seq, 1, Math.round(arrival * 1000));
  }
  return t;
}

const est = suite('send-side estimate from transport-cc feedback');

est('a clean path keeps the estimate and measures what was delivered', () => {
  const bwe = new SendSideEstimator(2_000_000);
  run(bwe, new TwccFeedback(1), 800_000, 3, {});
  assert.ok(bwe.feedbacks >= 25, `${bwe.feedbacks} feedbacks read`);
  assert.is(bwe.congested, false);
  assert.is(bwe.estimate, 2_000_000);
  assert.ok(Math.abs(bwe.ackedBps - 800_000) < 80_000, `delivered ${bwe.ackedBps}`);
  assert.ok(bwe.queueDelayMs < 2, `queue ${bwe.queueDelayMs} ms`);
});

est('a bottleneck under the sending rate builds a queue and the estimate falls to what it delivers', () => {
  const bwe = new SendSideEstimator(2_000_000);
  run(bwe, new TwccFeedback(1), 800_000, 3, { bottleneckBps: 400_000 });
  assert.ok(bwe.congested);
  assert.ok(bwe.estimate <= 400_000 && bwe.estimate >= 250_000, `estimate ${bwe.estimate}`);
});

est('heavy loss without queueing is congestion too', () => {
  const bwe = new SendSideEstimator(2_000_000);
  run(bwe, new TwccFeedback(1), 800_000, 3, { lose: (i) => i % 3 === 0 });
  assert.ok(bwe.loss > 0.2, `loss ${bwe.loss}`);
  assert.ok(bwe.congested);
  assert.ok(bwe.estimate < 800_000, `estimate ${bwe.estimate}`);
});

est('without probes the estimate does not climb far past what is sent', () => {
  const bwe = new SendSideEstimator(220_000);
  run(bwe, new TwccFeedback(1), 200_000, 10, {});
  assert.ok(bwe.estimate > 260_000, `grows on a clean path: ${bwe.estimate}`);
  assert.ok(bwe.estimate <= 200_000 * 1.5 * 1.05, `but to 1.5x what was delivered: ${bwe.estimate}`);
});

est('a probe that arrives at its rate raises the estimate; one through a bottleneck does not', () => {
  for (const [bottleneck, ok] of [[undefined, true], [400_000, false]] as const) {
    const bwe = new SendSideEstimator(300_000);
    const feedback = new TwccFeedback(1);
    let t = run(bwe, feedback, 200_000, 2, {});
    bwe.startProbe(t);
    t = run(bwe, feedback, 1_200_000, 0.2, { bottleneckBps: bottleneck }, t);
    bwe.endProbe();
    run(bwe, feedback, 200_000, 0.5, {}, t);
    const result = bwe.probeResult(t + 500);
    assert.ok(result, 'the probe has a result once its feedback is in');
    assert.is(result!.ok, ok, `bottleneck ${bottleneck}: ${JSON.stringify(result)}`);
    if (ok) assert.ok(Math.abs(result!.deliveredBps - 1_200_000) < 150_000, `delivered ${result!.deliveredBps}`);
    else assert.ok(result!.deliveredBps < 700_000, `delivered ${result!.deliveredBps}`);
  }
});

est('garbage feedback never throws and never moves the estimate', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (bytes) => {
    const bwe = new SendSideEstimator(1_000_000);
    for (let i = 0; i < 50; i++) bwe.sent(1200, i);
    bwe.feedback(bytes, 0, bytes.length, 100);
    return bwe.estimate <= 1_000_000 && Number.isFinite(bwe.estimate);
  }), { numRuns: 2000 });
});

est.run();

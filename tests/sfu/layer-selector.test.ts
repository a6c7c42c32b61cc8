/** Layer choice for `auto` viewers (sfu/rtp/LayerSelector.ts): where it starts, when it goes up and down. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LayerSelector, UP_HOLD_MS } from '../../sfu/rtp/LayerSelector.ts';

const RATES = [150_000, 350_000, 740_000];
const sel = suite('layer selector');

sel('starts on the highest layer the first estimate supports', () => {
  assert.is(new LayerSelector().choose(RATES, 2, 2_500_000, false, 0), 2);
  assert.is(new LayerSelector().choose(RATES, 2, 500_000, false, 0), 1);
  assert.is(new LayerSelector().choose(RATES, 2, 100_000, false, 0), 0);
  assert.is(new LayerSelector().choose(RATES, 1, 2_500_000, false, 0), 1, 'never above the top it is given');
  assert.is(new LayerSelector().choose([150_000, 0, 740_000], 2, 500_000, false, 0), 0, 'skips a layer that is not flowing');
});

sel('an estimate just over the high layer (Chromium\'s first REMB) keeps a viewer there', () => {
  const s = new LayerSelector();
  assert.is(s.choose(RATES, 2, 2_500_000, false, 0), 2);
  for (let t = 250; t < 10_000; t += 250) assert.is(s.choose(RATES, 2, 762_000, false, t), 2, `at ${t} ms`);
});

sel('goes up only after the estimate has held with margin for the hold time', () => {
  const s = new LayerSelector();
  assert.is(s.choose(RATES, 2, 200_000, false, 0), 0);
  let t = 1000;
  assert.is(s.choose(RATES, 2, 1_000_000, false, t), 0);
  for (; t < 1000 + UP_HOLD_MS - 250; t += 250) assert.is(s.choose(RATES, 2, 1_000_000, false, t), 0, `still held at ${t} ms`);
  // A dip under the margin starts the hold again.
  assert.is(s.choose(RATES, 2, 300_000, false, t), 0);
  t += 250;
  const restarted = t;
  for (; t < restarted + UP_HOLD_MS; t += 250) assert.is(s.choose(RATES, 2, 1_000_000, false, t), 0);
  assert.is(s.choose(RATES, 2, 1_000_000, false, t), 2);
});

sel('a higher layer\'s hold runs on its own: reaching medium on the way does not restart high\'s', () => {
  const s = new LayerSelector();
  assert.is(s.choose(RATES, 2, 200_000, false, 0), 0);
  // From 1 s the estimate fits medium with margin, from 2 s high too.
  for (let t = 1000; t < 2000; t += 250) assert.is(s.choose(RATES, 2, 500_000, false, t), 0);
  let t = 2000;
  for (; t < 1000 + UP_HOLD_MS; t += 250) assert.is(s.choose(RATES, 2, 1_000_000, false, t), 0, `held at ${t} ms`);
  assert.is(s.choose(RATES, 2, 1_000_000, false, t), 1, 'medium once its hold is over');
  for (t += 250; t < 2000 + UP_HOLD_MS; t += 250) assert.is(s.choose(RATES, 2, 1_000_000, false, t), 1, `on medium at ${t} ms`);
  assert.is(s.choose(RATES, 2, 1_000_000, false, t), 2, 'high once its own hold is over');
});

sel('congestion blocks going up', () => {
  const s = new LayerSelector();
  s.choose(RATES, 2, 200_000, false, 0);
  for (let t = 0; t < 3 * UP_HOLD_MS; t += 250) assert.is(s.choose(RATES, 2, 1_000_000, true, t), 0);
});

sel('goes down at once when the estimate falls under the layer, under it with margin when congested', () => {
  const s = new LayerSelector();
  s.choose(RATES, 2, 2_500_000, false, 0);
  assert.is(s.choose(RATES, 2, 500_000, false, 100), 1, 'one estimate under high is enough');
  const c = new LayerSelector();
  c.choose(RATES, 2, 2_500_000, false, 0);
  assert.is(c.choose(RATES, 2, 400_000, true, 100), 0, 'medium at 350 kbps does not fit 400 kbps with margin while congested');
});

sel('stepDown goes one layer down, not twice within the settle time', () => {
  const s = new LayerSelector();
  s.choose(RATES, 2, 2_500_000, false, 0);
  s.stepDown(5000);
  assert.is(s.layer, 1);
  s.stepDown(5200);
  assert.is(s.layer, 1);
  s.stepDown(6500);
  assert.is(s.layer, 0);
});

sel('wants a probe at the rate of the highest layer it could go to, and none at the top', () => {
  const s = new LayerSelector();
  s.choose(RATES, 2, 200_000, false, 0);
  assert.ok(Math.abs(s.wantsProbe(RATES, 2, 200_000) - 740_000 * 1.2) < 1);
  assert.is(s.wantsProbe(RATES, 2, 1_000_000), 0, 'the estimate already allows it');
  const top = new LayerSelector();
  top.choose(RATES, 2, 2_500_000, false, 0);
  assert.is(top.wantsProbe(RATES, 2, 2_500_000), 0);
});

sel.run();

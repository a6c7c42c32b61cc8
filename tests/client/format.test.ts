/** Amounts and durations as people read them, and amounts typed by people back to base units. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { formatAmount, formatDuration, parseAmount } from '../../client/format.ts';

const amounts = suite('amounts');

amounts('formats base units with separators and at most the given decimals, rounded down', () => {
  assert.is(formatAmount(0n), '0');
  assert.is(formatAmount(1234_500000000000000000n), '1,234.5');
  assert.is(formatAmount(1n), '0');
  assert.is(formatAmount(999999_999999999999n, 6), '0.999999');
  assert.is(formatAmount(-2_000000000000000000n), '-2');
});

amounts('parses plain decimals and refuses anything else', () => {
  assert.is(parseAmount('25'), 25n * 10n ** 18n);
  assert.is(parseAmount(' 5.5 '), 55n * 10n ** 17n);
  assert.is(parseAmount('0.000000000000000001'), 1n);
  for (const bad of ['', 'lots', '-1', '1e3', '1.', '.5', '1,000', '0.0000000000000000001', '0x10']) assert.is(parseAmount(bad), null, bad);
});

amounts('a formatted amount with every decimal parses back to itself', () => {
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), (v) => parseAmount(formatAmount(v, 18).replace(/,/g, '')) === v));
});
amounts.run();

const durations = suite('durations');
durations('rounds up to the unit people use', () => {
  assert.is(formatDuration(30), '30 seconds');
  assert.is(formatDuration(600), '10 minutes');
  assert.is(formatDuration(61), '2 minutes');
  assert.is(formatDuration(86_400), '24 hours');
  assert.is(formatDuration(3 * 86_400), '3 days');
  assert.is(formatDuration(3600 * 2 + 1), '3 hours');
});
durations.run();

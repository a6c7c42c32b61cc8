/** The safety code: the same for both people whatever the order, different for any other pair of keys. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createIdentity } from '../../crypto/identity.ts';
import { safetyCode } from '../../client/services/safety-code.ts';

const code = suite('safety code');

code('order-independent, four groups of five digits, deterministic', async () => {
  const [a, b] = [await createIdentity(), await createIdentity()];
  const ab = await safetyCode(a.publicKey, b.publicKey);
  assert.is(await safetyCode(b.publicKey, a.publicKey), ab);
  assert.is(await safetyCode(a.publicKey, b.publicKey), ab);
  assert.match(ab, /^\d{5} \d{5} \d{5} \d{5}$/);
});

code('a third key in the middle gives each person a different code', async () => {
  const [a, b, m] = [await createIdentity(), await createIdentity(), await createIdentity()];
  const honest = await safetyCode(a.publicKey, b.publicKey);
  const seenByA = await safetyCode(a.publicKey, m.publicKey);
  const seenByB = await safetyCode(m.publicKey, b.publicKey);
  assert.is.not(seenByA, honest);
  assert.is.not(seenByB, honest);
  assert.is.not(seenByA, seenByB);
});

code('codes of many pairs do not collide', async () => {
  const keys = await Promise.all(Array.from({ length: 40 }, () => createIdentity().then((i) => i.publicKey)));
  const codes = new Set<string>();
  for (let i = 1; i < keys.length; i++) codes.add(await safetyCode(keys[0]!, keys[i]!));
  assert.is(codes.size, keys.length - 1);
});

code('a malformed key is refused with a crypto error', async () => {
  const a = await createIdentity();
  try {
    await safetyCode(a.publicKey, 'not-a-key');
    assert.unreachable('should throw');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'CRYPTO_BAD_ENCODING');
  }
});

code.run();

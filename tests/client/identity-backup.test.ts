/**
 * The identity backup file (client/services/identity-backup.ts), in Node with the real libsodium: both identities
 * round-trip under the passphrase; a wrong passphrase is WRONG_PASSPHRASE, anything that is not one of our files
 * (or was altered) is BACKUP_INVALID, and a new passphrase must be long enough and typed the same twice.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createIdentity } from '../../crypto/identity.ts';
import { ClientError } from '../../client/errors.ts';
import { checkNewPassphrase, createBackup, parseBackup, readBackup } from '../../client/services/identity-backup.ts';

const PASS = 'purple monkey dishwasher';

async function code(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof ClientError, String(err));
    return err.code;
  }
}

const backup = suite('identity backup');

backup('both identities come back under the passphrase, and the file holds no secret', async () => {
  const [client, model] = [await createIdentity(), await createIdentity()];
  const text = await createBackup({ client, model }, PASS);
  const seeds = [client, model].map((i) => Buffer.from(i.secretKey.subarray(0, 32)));
  for (const seed of seeds) {
    for (const enc of ['base64', 'base64url', 'hex'] as const) assert.not.ok(text.includes(seed.toString(enc)), enc);
  }
  const back = await readBackup(text, PASS);
  assert.is(back.client!.publicKey, client.publicKey);
  assert.is(back.model!.publicKey, model.publicKey);
  assert.equal([...back.model!.secretKey], [...model.secretKey]);
  // One identity alone is a backup too.
  assert.equal(Object.keys(await readBackup(await createBackup({ client }, PASS), PASS)), ['client']);
});

backup('a wrong passphrase, a foreign or altered file are refused with their codes', async () => {
  const text = await createBackup({ client: await createIdentity() }, PASS);
  assert.is(await code(() => readBackup(text, 'purple monkey dishwasheR')), 'WRONG_PASSPHRASE');
  assert.is(await code(() => readBackup(text, 'short')), 'WRONG_PASSPHRASE');
  const file = JSON.parse(text) as { identities: { client: string } };
  const blob = JSON.parse(file.identities.client) as { box: string };
  const flipped = blob.box.slice(0, 10) + (blob.box[10] === 'A' ? 'B' : 'A') + blob.box.slice(11);
  const altered = JSON.stringify({ ...file, identities: { client: JSON.stringify({ ...blob, box: flipped }) } });
  assert.is(await code(() => readBackup(altered, PASS)), 'WRONG_PASSPHRASE', 'an altered box cannot be told from a wrong passphrase');
  for (const bad of ['', 'not json', '{}', '[]', JSON.stringify({ kind: 'livecam-identity-backup', v: 2, identities: {} }),
    JSON.stringify({ kind: 'livecam-identity-backup', v: 1, identities: {} }),
    JSON.stringify({ kind: 'livecam-identity-backup', v: 1, identities: { admin: 'x' } }),
    JSON.stringify({ kind: 'livecam-identity-backup', v: 1, identities: { client: 42 } }),
    JSON.stringify({ kind: 'livecam-identity-backup', v: 1, identities: { client: '{"v":1}' } }),
    'x'.repeat(20_000)]) {
    assert.is(await code(() => readBackup(bad, PASS)), 'BACKUP_INVALID', bad.slice(0, 60));
  }
  assert.is(await code(() => parseBackup(text)), 'ok');
});

backup('a new passphrase: at least 8 characters, the same twice', async () => {
  assert.is(await code(() => checkNewPassphrase('1234567', '1234567')), 'PASSPHRASE_TOO_SHORT');
  assert.is(await code(() => checkNewPassphrase('12345678', '12345679')), 'PASSPHRASE_TOO_SHORT');
  assert.is(checkNewPassphrase('12345678', '12345678'), '12345678');
  assert.is(await code(() => createBackup({}, PASS)), 'NOT_FOUND');
});

backup.run();

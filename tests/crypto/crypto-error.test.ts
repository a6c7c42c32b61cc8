import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CRYPTO_ERROR_CODES, CryptoError, isCryptoError } from '../../crypto/crypto-error.ts';
import { isPlatformError, PlatformError } from '../../crypto/errors.ts';
import { randomBytes, ready, readySync } from '../../crypto/sodium.ts';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const errs = suite('CryptoError');

errs('is a PlatformError with a stable code, serialized without cause', () => {
  const err = new CryptoError('CRYPTO_BAD_SIGNATURE', 'bad', { cause: new Error('libsodium internals') });
  assert.instance(err, PlatformError);
  assert.is(err.name, 'CryptoError');
  assert.ok(isPlatformError(err, 'CRYPTO_BAD_SIGNATURE'));
  assert.ok(isCryptoError(err));
  assert.ok(isCryptoError(err, 'CRYPTO_BAD_SIGNATURE'));
  assert.not.ok(isCryptoError(err, 'CRYPTO_BAD_KEY'));
  assert.not.ok(isCryptoError(new PlatformError('CRYPTO_BAD_KEY', 'x')));
  assert.equal(JSON.parse(JSON.stringify(err)), { code: 'CRYPTO_BAD_SIGNATURE', message: 'bad' });
});

errs('codes are unique, prefixed and include the ones the platform relies on', () => {
  assert.is(new Set(CRYPTO_ERROR_CODES).size, CRYPTO_ERROR_CODES.length);
  for (const c of CRYPTO_ERROR_CODES) assert.match(c, /^CRYPTO_[A-Z_]+$/);
  for (const c of ['CRYPTO_BAD_ENCODING', 'CRYPTO_BAD_SIGNATURE', 'CRYPTO_DECRYPT_FAILED', 'CRYPTO_CHALLENGE_EXPIRED',
    'CRYPTO_CHALLENGE_REPLAYED', 'CRYPTO_TOKEN_EXPIRED', 'CRYPTO_TOKEN_INVALID', 'CRYPTO_BAD_PASSPHRASE', 'CRYPTO_UNKNOWN_KEY_ID']) {
    assert.ok((CRYPTO_ERROR_CODES as readonly string[]).includes(c), c);
  }
});

const sod = suite('sodium loader and randomness');

sod('ready() resolves once to the same libsodium; readySync reflects it', async () => {
  const [a, b] = await Promise.all([ready(), ready()]);
  assert.is(a, b);
  assert.is(readySync(), a);
  assert.type(a.crypto_pwhash, 'function');
});

sod('randomBytes gives the requested length, beyond the 64 KiB WebCrypto limit, and differs each call', () => {
  assert.is(randomBytes(0).length, 0);
  const big = randomBytes(200_000);
  assert.is(big.length, 200_000);
  // The tail after the first 64 KiB chunk is filled too (all-zero 1 KiB: probability 2^-8192).
  assert.ok(big.subarray(199_000).some((b) => b !== 0));
  assert.not.equal(randomBytes(32), randomBytes(32));
});

sod('randomBytes with neither WebCrypto nor a loaded libsodium throws CRYPTO_INTERNAL, not a bare Error', () => {
  // A fresh process: here libsodium is already loaded. WebCrypto is hidden once libsodium itself has
  // initialised (its ESM build needs WebCrypto to load) but before our ready(), so sodium.ts has neither source.
  const script = `
    const { randomBytes } = await import('./crypto/sodium.ts');
    await (await import('libsodium-wrappers-sumo')).default.ready;
    const { isCryptoError } = await import('./crypto/crypto-error.ts');
    Object.defineProperty(globalThis, 'crypto', { value: undefined, configurable: true });
    let code = 'none';
    try { randomBytes(8); } catch (err) { code = isCryptoError(err) ? err.code : String(err); }
    console.log(JSON.stringify({ code }));`;
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  assert.is(run.status, 0, run.stderr.slice(-500));
  assert.equal(JSON.parse(run.stdout.trim()), { code: 'CRYPTO_INTERNAL' });
});

errs.run();
sod.run();

/**
 * Whatever arrives (any JSON-ish value, wrong types, near-valid strings), every
 * public function either succeeds or throws a CryptoError with a known code:
 * never a raw libsodium, ethers or TypeError exception.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import * as Crypto from '../../crypto/index.ts';
import * as WalletBinding from '../../contracts/wallet-binding.ts';

// The wallet binding moved to contracts/ (it needs ethers); its inputs are fuzzed here with the rest.
const C = { ...Crypto, ...WalletBinding };
import { CRYPTO_ERROR_CODES } from '../../crypto/crypto-error.ts';

// A fixed seed keeps the suite deterministic in CI; FUZZ_SEED explores others locally.
fc.configureGlobal({ seed: Number(process.env.FUZZ_SEED ?? 20261121) });

const fz = suite('fuzzed inputs give typed errors');

const fixtures = await (async () => {
  const id = await C.createIdentity();
  const peer = await C.createIdentity();
  const key = await C.generateDataKey();
  const keyring = new Crypto.Keyring([await Crypto.Keyring.generateKey('k1')]);
  const vault = new Crypto.Vault(keyring, new Crypto.MemoryDataKeyStore());
  const record = await C.sealRecord(key, 'x', { userId: 'u', kind: 'k' });
  const wrapped = await keyring.wrap(key, 'u');
  const challenge = await C.createChallenge({ audience: 'a' });
  const response = await C.signChallenge(id, challenge);
  const attestation = await C.signAttestation(peer, { modelKey: id.publicKey, adult: true });
  const fp = await C.signFingerprint({ sessionId: 's', fingerprint: `sha-256 ${Array(32).fill('AA').join(':')}`, ownKey: id.publicKey, peerKey: peer.publicKey }, id);
  const blob = await C.exportIdentity(id, 'passphrase!', { opsLimit: 1, memLimit: 8192 });
  const doc = C.toBase64url(await C.sealDocument(peer.publicKey, new Uint8Array([1, 2, 3]), id));
  const token = await C.issueSessionToken(new Uint8Array(32), id.publicKey, 60);
  return { id, peer, key, keyring, vault, record, wrapped, response, attestation, fp, blob, doc, token };
})();

/** Arbitrary values, plus mutations of valid ones (truncated, one character changed, wrong types inside). */
function mutated(valid: unknown): fc.Arbitrary<unknown> {
  const text = JSON.stringify(valid);
  return fc.oneof(
    fc.anything(),
    fc.constantFrom(null, undefined, '', 0, -1, NaN, [], {}, new Uint8Array(0), new Uint8Array(64), 'A'.repeat(43)),
    fc.nat({ max: Math.max(1, text.length - 1) }).map((n) => { try { return JSON.parse(text.slice(0, n)); } catch { return text.slice(0, n); } }),
    fc.tuple(fc.nat({ max: Math.max(0, text.length - 1) }), fc.constantFrom('0', 'A', '"', '_', '-', '.', '!')).map(([i, c]) => {
      const t = text.slice(0, i) + c + text.slice(i + 1);
      try { return JSON.parse(t); } catch { return t; }
    }),
    typeof valid === 'object' && valid !== null && !(valid instanceof Uint8Array)
      ? fc.tuple(fc.constantFrom(...Object.keys(valid)), fc.anything()).map(([k, v]) => ({ ...(valid as object), [k]: v }))
      : fc.anything(),
  );
}

async function typedOnly(name: string, call: (input: unknown) => unknown, valid: unknown, runs = 150) {
  await fc.assert(fc.asyncProperty(mutated(valid), async (input) => {
    try {
      await call(input);
    } catch (err) {
      if (!(err instanceof Crypto.CryptoError) || !(CRYPTO_ERROR_CODES as readonly string[]).includes(err.code)) {
        assert.unreachable(`${name}(${String(JSON.stringify(input)).slice(0, 120)}) threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
      }
    }
  }), { numRuns: runs });
}

fz('decoders and verifiers', async () => {
  const f = fixtures;
  await typedOnly('fromBase64url', (x) => C.fromBase64url(x), 'AAAA');
  await typedOnly('pseudonymOf', (x) => C.pseudonymOf(x as string), f.id.publicKey);
  await typedOnly('verifyChallengeResponse', (x) => C.verifyChallengeResponse(x, { audience: 'a', consume: () => true }), f.response);
  await typedOnly('verifySessionToken', (x) => C.verifySessionToken(new Uint8Array(32), x), f.token);
  await typedOnly('verifyAttestation', (x) => C.verifyAttestation(x, [f.peer.publicKey]), f.attestation);
  await typedOnly('verifyFingerprint', (x) => C.verifyFingerprint(x), f.fp);
  await typedOnly('verifyWalletBinding', (x) => C.verifyWalletBinding(x), { v: 1, identityKey: f.id.publicKey, address: '0x' + '1'.repeat(40), walletSignature: '0x' + '1'.repeat(130), identitySignature: 'A'.repeat(86) });
  await typedOnly('normalizeFingerprint', (x) => C.normalizeFingerprint(x), f.fp.fingerprint);
  await typedOnly('importIdentity', (x) => C.importIdentity(typeof x === 'string' ? x : JSON.stringify(x), 'passphrase!'), JSON.parse(f.blob), 60);
});

fz('openers and key handling', async () => {
  const f = fixtures;
  const b = { userId: 'u', kind: 'k' };
  await typedOnly('openRecord', (x) => C.openRecord(f.key, x as string, b), f.record);
  await typedOnly('openRecord binding', (x) => C.openRecord(f.key, f.record, x as Crypto.RecordBinding), b);
  await typedOnly('openRecord key', (x) => C.openRecord(x as Uint8Array, f.record, b), f.key);
  await typedOnly('Keyring.unwrap', (x) => f.keyring.unwrap(x as string, 'u'), f.wrapped);
  await typedOnly('Keyring.parse', (x) => Crypto.Keyring.parse(x as string), 'k1:' + 'A'.repeat(43));
  await typedOnly('new Keyring', (x) => new Crypto.Keyring(x as Crypto.MasterKey[]), [{ id: 'k', key: new Uint8Array(32) }]);
  await typedOnly('openDocument', (x) => C.openDocument(f.peer, x as string), f.doc, 80);
  await typedOnly('vault.open', (x) => f.vault.open({ userId: 'u', kind: 'k' }, x as string), f.record);
  await typedOnly('vault.seal binding', (x) => f.vault.seal(x as Crypto.RecordBinding, 'x'), b);
});

fz('signers and builders', async () => {
  const f = fixtures;
  await typedOnly('signChallenge', (x) => C.signChallenge(f.id, x as Crypto.LoginChallenge), f.response.challenge);
  await typedOnly('signChallenge identity', (x) => C.signChallenge(x as Crypto.Identity, f.response.challenge), { publicKey: f.id.publicKey });
  await typedOnly('createChallenge', (x) => C.createChallenge(x as Crypto.ChallengeOptions), { audience: 'a', ttlSeconds: 10 });
  await typedOnly('issueSessionToken', (x) => C.issueSessionToken(new Uint8Array(32), x as string, 60), f.id.publicKey);
  await typedOnly('signAttestation', (x) => C.signAttestation(f.peer, x as { modelKey: string; adult: boolean }), { modelKey: f.id.publicKey, adult: true });
  await typedOnly('signFingerprint', (x) => C.signFingerprint(x as Crypto.FingerprintStatement, f.id), { sessionId: 's', fingerprint: f.fp.fingerprint, ownKey: f.id.publicKey, peerKey: f.peer.publicKey });
  await typedOnly('sealDocument', (x) => C.sealDocument(x as string, new Uint8Array([1]), f.id), f.peer.publicKey);
  await typedOnly('sealRecord', (x) => C.sealRecord(f.key, x as string, { userId: 'u', kind: 'k' }), 'text');
  await typedOnly('bindWallet', (x) => C.bindWallet(f.id, x as string, '0x' + '1'.repeat(130)), '0x' + '1'.repeat(40));
  await typedOnly('walletBindingMessage', (x) => C.walletBindingMessage(x as string), f.id.publicKey);
  await typedOnly('identityFromSecretKey', (x) => C.identityFromSecretKey(x as Uint8Array), new Uint8Array(64));
  await typedOnly('exportIdentity', (x) => C.exportIdentity(x as Crypto.Identity, 'passphrase!', { opsLimit: 1, memLimit: 8192 }), { publicKey: f.id.publicKey }, 60);
});

fz.run();

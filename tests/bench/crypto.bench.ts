/**
 * `npm run bench:crypto`: throughput of the crypto module in Node, one thread,
 * printed as `name: value unit` lines. The four figures the issue names use a
 * 1 KiB record: Ed25519 sign / verify, and XChaCha20-Poly1305 seal / open
 * through `sealRecord` / `openRecord` (what every stored record pays).
 * The others show what the server pays per login, per request and per record
 * through the vault. Set BENCH_SECONDS to change the time per figure (default 1).
 */
import { createIdentity, exportIdentity } from '../../crypto/identity.ts';
import { createChallenge, issueSessionToken, MemoryChallengeStore, signChallenge, verifyChallengeResponse, verifySessionToken } from '../../crypto/login.ts';
import { generateDataKey, Keyring, openRecord, sealRecord } from '../../crypto/records.ts';
import { MemoryDataKeyStore, Vault } from '../../crypto/vault.ts';
import { openDocument, sealDocument, verifyAttestation, signAttestation } from '../../crypto/age.ts';
import { signFingerprint, verifyFingerprint } from '../../crypto/fingerprint.ts';
import { ready } from '../../crypto/sodium.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 1);

/** Run `op` repeatedly for `seconds` (after a short warm-up); returns operations per second. */
async function rate(op: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < 50; i++) await op(i);
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let k = 0; k < 32; k++) await op(n++);
  }
  return n / ((performance.now() - start) / 1000);
}

function print(name: string, value: number, unit: string): void {
  console.log(`${name}: ${value >= 100 ? Math.round(value) : value.toFixed(2)} ${unit}`);
}

const s = await ready();
const record = s.randombytes_buf(1024);
const id = await createIdentity();
const peer = await createIdentity();

// The four figures of the issue (1 KiB record).
const sig = s.crypto_sign_detached(record, id.secretKey);
const pk = id.secretKey.subarray(32);
print('sign_per_second', await rate(() => s.crypto_sign_detached(record, id.secretKey)), 'ops/s');
print('verify_per_second', await rate(() => {
  if (!s.crypto_sign_verify_detached(sig, record, pk)) throw new Error('verify failed');
}), 'ops/s');
const dataKey = await generateDataKey();
const binding = { userId: id.publicKey, kind: 'profile' };
const sealed = await sealRecord(dataKey, record, binding);
print('seal_per_second', await rate(() => sealRecord(dataKey, record, binding)), 'ops/s');
print('open_per_second', await rate(() => openRecord(dataKey, sealed, binding)), 'ops/s');

// What the platform pays per operation through the public API.
const vault = new Vault(new Keyring([await Keyring.generateKey('k1')]), new MemoryDataKeyStore());
const vSealed = await vault.seal(binding, record);
print('vault_seal_1kib_per_second', await rate(() => vault.seal(binding, record)), 'ops/s');
print('vault_open_1kib_per_second', await rate(() => vault.open(binding, vSealed)), 'ops/s');

const secret = s.randombytes_buf(32);
const token = await issueSessionToken(secret, id.publicKey, 3600);
print('session_token_issue_per_second', await rate(() => issueSessionToken(secret, id.publicKey, 3600)), 'ops/s');
print('session_token_verify_per_second', await rate(() => verifySessionToken(secret, token)), 'ops/s');

// Login: each response verifies once (single use), so time a fixed batch.
const store = new MemoryChallengeStore(1_000_000);
const responses: Awaited<ReturnType<typeof signChallenge>>[] = [];
for (let i = 0; i < 2000 * seconds; i++) {
  const c = await createChallenge({ audience: 'https://cam.example' });
  store.issue(c);
  responses.push(await signChallenge(id, c));
}
const loginStart = performance.now();
for (const r of responses) await verifyChallengeResponse(r, { audience: 'https://cam.example', consume: store.consume });
print('login_verify_per_second', responses.length / ((performance.now() - loginStart) / 1000), 'ops/s');

const fp = `sha-256 ${Array(32).fill('AB').join(':')}`;
const signedFp = await signFingerprint({ sessionId: 's1', fingerprint: fp, ownKey: id.publicKey, peerKey: peer.publicKey }, id);
print('fingerprint_verify_per_second', await rate(() => verifyFingerprint(signedFp, { sessionId: 's1', signerKey: id.publicKey })), 'ops/s');

const att = await signAttestation(peer, { modelKey: id.publicKey, adult: true });
print('attestation_verify_per_second', await rate(() => verifyAttestation(att, [peer.publicKey])), 'ops/s');

const doc = s.randombytes_buf(1024);
const blob = await sealDocument(peer.publicKey, doc, id);
print('document_seal_1kib_per_second', await rate(() => sealDocument(peer.publicKey, doc, id)), 'ops/s');
print('document_open_1kib_per_second', await rate(() => openDocument(peer, blob)), 'ops/s');

let t = performance.now();
await exportIdentity(id, 'benchmark passphrase');
print('identity_export_argon2id_interactive', performance.now() - t, 'ms');
t = performance.now();
await createIdentity();
print('identity_create', (performance.now() - t) * 1000, 'us');

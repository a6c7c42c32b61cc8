/**
 * Privacy against a real Redis: identity creation, login, profile edit, age
 * verification and a chat; then every key and value in Redis is read and must
 * hold no IP address, no plaintext profile field, no document, no session
 * secret or token; every key has a known prefix and ephemeral keys carry a TTL.
 * Then the user is deleted, and a snapshot taken before the deletion no longer
 * decrypts once the master key has been rotated (`shredBackups`).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { createIdentity, type Identity } from '../../crypto/identity.ts';
import { sealDocument, signAttestation } from '../../crypto/age.ts';
import { toBase64url } from '../../crypto/encoding.ts';
import { Keyring } from '../../crypto/records.ts';
import { MemoryDataKeyStore, Vault } from '../../crypto/vault.ts';
import { isPlatformError } from '../../crypto/errors.ts';
import { KEY_PREFIXES } from '../../signaling/store.ts';
import { verifierAuthorization } from '../../signaling/verifier-auth.ts';
import { Wallet } from 'ethers';
import { bindWallet, walletBindingMessage } from '../../contracts/wallet-binding.ts';
import { call, login, mediaArrives, next, ok, startRedis, startServer, testConfig, type RedisHandle, type Running } from './helpers.ts';

const t = suite('privacy of what the server stores');
let redis: RedisHandle;
let run: Running;
let verifier: Identity;
let redisClient: ReturnType<typeof createClient>;
const sessionSecret = randomBytes(32);
const masterKey = randomBytes(32);

const PROFILE = { displayName: 'Quintessa Marlowe', bio: 'Lives at 42 Wallaby Way, Sydney', email: 'quintessa@example.org' };
const DOCUMENT = Buffer.from('PASSPORT Quintessa Marlowe born 1990-02-03 no. X9981123 ' + 'p'.repeat(200));
const CHAT = 'my very private chat line 7731';

async function dump(): Promise<Map<string, { type: string; value: string; pttl: number }>> {
  const out = new Map<string, { type: string; value: string; pttl: number }>();
  for await (const batch of redisClient.scanIterator({ MATCH: '*', COUNT: 1000 })) {
    for (const key of batch) {
      const type = String(await redisClient.sendCommand(['TYPE', key]));
      let value: unknown;
      if (type === 'string') value = await redisClient.sendCommand(['GET', key]);
      else if (type === 'hash') value = await redisClient.sendCommand(['HGETALL', key]);
      else if (type === 'set') value = await redisClient.sendCommand(['SMEMBERS', key]);
      else if (type === 'list') value = await redisClient.sendCommand(['LRANGE', key, '0', '-1']);
      else if (type === 'zset') value = await redisClient.sendCommand(['ZRANGE', key, '0', '-1', 'WITHSCORES']);
      else value = `<${type}>`;
      out.set(key, { type, value: JSON.stringify(value), pttl: Number(await redisClient.sendCommand(['PTTL', key])) });
    }
  }
  return out;
}

t.before(async () => {
  redis = await startRedis();
  verifier = await createIdentity();
  const config = {
    ...testConfig({ REDIS_URL: redis.url, AGE_VERIFICATION: 'required', VERIFIER_PUBLIC_KEYS: verifier.publicKey }),
    SESSION_SECRET: sessionSecret,
    MASTER_KEYS: [{ id: 'k1', key: masterKey }],
  };
  run = await startServer({ config });
  redisClient = createClient({ url: redis.url });
  await redisClient.connect();
});

t.after(async () => {
  await redisClient?.close();
  await run?.server.close();
  await redis?.stop();
});

t('after a full flow Redis holds no IP, plaintext, document, token or secret; prefixes known; ephemeral keys expire; deletion shreds', async () => {
  // Identity creation and login.
  const model = await login(run.url, 'model');
  const other = await login(run.url, 'model');
  // Profile edit: stored sealed, read back in clear by its owner only.
  await ok(model.socket, 'profile:set', { fields: PROFILE });
  await ok(model.socket, 'profile:set', { fields: { ...PROFILE, bio: PROFILE.bio } });
  assert.equal((await ok(model.socket, 'profile:get', {})).fields, PROFILE);
  await ok(other.socket, 'profile:set', { fields: { displayName: 'Survivor Sam' } });
  // Wallet binding: the identity-to-wallet link is sealed too, and still read back by the server.
  const wallet = Wallet.createRandom();
  const walletSignature = await wallet.signMessage(walletBindingMessage(model.key));
  const walletBinding = await bindWallet(model.identity, wallet.address, walletSignature);
  await ok(model.socket, 'wallet:bind', { address: walletBinding.address, walletSignature, identitySignature: walletBinding.identitySignature });
  assert.is(await run.server.store.getWallet(model.key), wallet.address.toLowerCase());
  assert.equal(await run.server.store.getWalletBinding(model.key), { address: wallet.address.toLowerCase(), walletSignature, identitySignature: walletBinding.identitySignature });

  // Age verification: no show without an attestation.
  const refused = await call(model.socket, 'show:open', {});
  assert.is(refused.ok ? null : refused.error.code, 'AGE_VERIFICATION_REQUIRED');
  const sealed = toBase64url(await sealDocument(verifier.publicKey, DOCUMENT, model.identity));
  const submitted = await ok(model.socket, 'age:submit', { sealedDocument: sealed, verifierKey: verifier.publicKey });
  assert.is(submitted.status, 'pending');

  // The verifier fetches pending documents with a signed request.
  const unsigned = await fetch(`${run.url}/verifier/pending`);
  assert.is(unsigned.status, 401);
  const wrongPath = await fetch(`${run.url}/verifier/pending`, { headers: { authorization: await verifierAuthorization(verifier, 'GET', '/verifier/other') } });
  assert.is(wrongPath.status, 401, 'a signature for another request does not open this one');
  const pending = await fetch(`${run.url}/verifier/pending`, { headers: { authorization: await verifierAuthorization(verifier, 'GET', '/verifier/pending') } });
  const { documents } = await pending.json() as { documents: { modelKey: string; sealedDocument: string }[] };
  assert.equal(documents.map((d) => [d.modelKey, d.sealedDocument]), [[model.key, sealed]]);
  const attestation = await signAttestation(verifier, { modelKey: model.key, adult: true });
  const told = next(model.socket, 'age:status');
  const signedPost = async () => ({ 'content-type': 'application/json', authorization: await verifierAuthorization(verifier, 'POST', '/verifier/attestations') });
  const posted = await fetch(`${run.url}/verifier/attestations`, {
    method: 'POST', headers: await signedPost(), body: JSON.stringify({ attestation }),
  });
  assert.is(posted.status, 200);
  assert.equal(await told, { status: 'verified' });
  const forged = await fetch(`${run.url}/verifier/attestations`, {
    method: 'POST', headers: await signedPost(),
    body: JSON.stringify({ attestation: await signAttestation(model.identity, { modelKey: other.key, adult: true }) }),
  });
  assert.is(forged.status, 400, 'an attestation from an unconfigured key is refused');

  // Live, and a chat.
  const opened = await ok(model.socket, 'show:open', {});
  await mediaArrives(run, model, opened.showId);
  const viewer = await login(run.url, 'client');
  const watch = await ok(viewer.socket, 'show:watch', { model: model.key });
  const got = next(model.socket, 'chat:message');
  await ok(viewer.socket, 'chat:send', { showId: opened.showId, text: CHAT });
  await got;
  await ok(model.socket, 'chat:mute', { showId: opened.showId, target: viewer.key, seconds: 60 });

  // Read every key and value.
  const before = await dump();
  assert.ok(before.size > 5, 'the flow wrote state');
  const forbidden: [string, string][] = [
    ['an IPv4 address', '127.0.0.1'],
    ['profile name', PROFILE.displayName], ['profile bio', 'Wallaby'], ['profile email', PROFILE.email],
    ['document text', 'X9981123'], ['document (base64)', DOCUMENT.toString('base64').slice(0, 40)],
    ['sealed document', sealed.slice(0, 60)],
    ['chat text', CHAT],
    ['session token', model.token], ['session token', viewer.token], ['session token body', model.token.split('.')[0]!],
    ['session secret (base64)', sessionSecret.toString('base64')], ['session secret (hex)', sessionSecret.toString('hex')],
    ['session secret (base64url)', sessionSecret.toString('base64url')],
    ['master key', masterKey.toString('base64')], ['master key (base64url)', masterKey.toString('base64url')],
    ['WHIP token', opened.whipToken], ['WHEP token', watch.whepToken],
    ['identity secret key', toBase64url(model.identity.secretKey)],
    ['wallet address', wallet.address.slice(2).toLowerCase()], ['wallet address (checksummed)', wallet.address.slice(2)],
  ];
  const ip = /\b(?:\d{1,3}\.){3}\d{1,3}\b|::1\b|::ffff:/;
  const prefixes = Object.entries(KEY_PREFIXES);
  for (const [key, { value, pttl }] of before) {
    const text = `${key} ${value}`;
    for (const [what, needle] of forbidden) assert.not.ok(text.includes(needle), `${what} found in ${key}`);
    assert.not.ok(ip.test(text), `IP-like text in ${key}: ${text.slice(0, 200)}`);
    const known = prefixes.find(([p]) => key.startsWith(p));
    assert.ok(known, `unknown key prefix: ${key}`);
    if (known![1].ephemeral) assert.ok(pttl > 0, `ephemeral key without TTL: ${key}`);
  }
  assert.ok(before.has(`lc:dk:${model.key}`), 'a wrapped data key');
  assert.ok(before.has(`lc:rec:${model.key}:profile`), 'a sealed profile');
  assert.ok(before.has(`lc:rec:${model.key}:wallet`), 'a sealed wallet binding');
  assert.ok(before.has(`lc:age:att:${model.key}`), 'the attestation');
  assert.not.ok([...before.keys()].some((k) => k.startsWith('lc:age:pending:')), 'the sealed document is gone once processed');

  // Snapshot, then delete the user.
  const snapshot = { dk: before.get(`lc:dk:${model.key}`)!.value, rec: before.get(`lc:rec:${model.key}:profile`)!.value };
  const wrapped = JSON.parse(snapshot.dk) as string;
  const record = JSON.parse(snapshot.rec) as string;
  const binding = { userId: model.key, kind: 'profile' };
  // With the keyring of the time, the snapshot opens: that is what a backup would allow.
  const oldStore = new MemoryDataKeyStore();
  await oldStore.create(model.key, wrapped);
  const snapshotVault = new Vault(new Keyring([{ id: 'k1', key: new Uint8Array(masterKey) }]), oldStore);
  assert.equal(await snapshotVault.openJson(binding, record), PROFILE);

  const closed = new Promise<void>((resolve) => model.socket.once('disconnect', () => resolve()));
  await ok(model.socket, 'account:delete', {});
  await closed;
  const after = await dump();
  for (const key of after.keys()) assert.not.ok(key.includes(model.key), `left after deletion: ${key}`);
  const report = await run.server.records.shredBackups({ id: 'k2', key: new Uint8Array(randomBytes(32)) });
  assert.is(report.rewrapped, 1, 'the surviving user is rewrapped');

  // The server's keyring no longer holds k1: the snapshot's wrapped key opens nowhere.
  const shredded = new Vault(run.server.records.vault.keyring, oldStore);
  try {
    await shredded.openJson(binding, record);
    assert.unreachable('the snapshot must not decrypt');
  } catch (err) {
    assert.ok(isPlatformError(err) && err.code.startsWith('CRYPTO_'), String(err));
  }
  // Survivors still read their own records under the new key.
  assert.equal((await ok(other.socket, 'profile:get', {})).fields, { displayName: 'Survivor Sam' });
  const gone = await login(run.url, 'model', model.identity);
  assert.equal((await ok(gone.socket, 'profile:get', {})).fields, {}, 'a returning identity starts empty');
  for (const u of [other, viewer, gone]) u.socket.close();
});

t.run();

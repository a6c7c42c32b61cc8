import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Keyring, keyIdOf } from '../../crypto/records.ts';
import { MemoryDataKeyStore, Vault, type DataKeyStore } from '../../crypto/vault.ts';
import { rejectsWith } from './helpers.ts';

async function setup() {
  const k1 = await Keyring.generateKey('k1');
  const store = new MemoryDataKeyStore();
  return { k1, store, vault: new Vault(new Keyring([k1]), store) };
}

const v = suite('Vault');

v('creates a data key on first seal and reuses it', async () => {
  const { store, vault } = await setup();
  assert.not.ok(await vault.hasKey('alice'));
  const a = await vault.seal({ userId: 'alice', kind: 'profile' }, 'bio');
  assert.ok(await vault.hasKey('alice'));
  const wrapped = await store.get('alice');
  await vault.seal({ userId: 'alice', kind: 'chat', recordId: '1' }, 'hi');
  assert.is(await store.get('alice'), wrapped);
  assert.is(new TextDecoder().decode(await vault.open({ userId: 'alice', kind: 'profile' }, a)), 'bio');
  assert.is(store.size, 1);
});

v('JSON records round-trip; a record of one user cannot be opened as another\'s', async () => {
  const { vault } = await setup();
  const p = await vault.sealJson({ userId: 'alice', kind: 'profile' }, { name: 'Luna', price: 3 });
  assert.equal(await vault.openJson({ userId: 'alice', kind: 'profile' }, p), { name: 'Luna', price: 3 });
  await vault.sealJson({ userId: 'bob', kind: 'profile' }, {});
  await rejectsWith('CRYPTO_DECRYPT_FAILED', () => vault.openJson({ userId: 'bob', kind: 'profile' }, p));
  await rejectsWith('CRYPTO_BAD_INPUT', () => vault.sealJson({ userId: 'alice', kind: 'x' }, undefined));
  const notJson = await vault.seal({ userId: 'alice', kind: 'raw' }, '{oops');
  await rejectsWith('CRYPTO_BAD_ENCODING', () => vault.openJson({ userId: 'alice', kind: 'raw' }, notJson));
});

v('forget destroys the key: records become CRYPTO_KEY_DESTROYED; a new key is unrelated', async () => {
  const { vault } = await setup();
  const b = { userId: 'alice', kind: 'profile' };
  const sealed = await vault.seal(b, 'secret bio');
  await vault.forget('alice');
  assert.not.ok(await vault.hasKey('alice'));
  await rejectsWith('CRYPTO_KEY_DESTROYED', () => vault.open(b, sealed));
  await vault.seal(b, 'new life');
  await rejectsWith('CRYPTO_DECRYPT_FAILED', () => vault.open(b, sealed));
  await vault.forget('nobody');
});

v('concurrent first seals agree on one data key', async () => {
  const { vault, store } = await setup();
  const sealed = await Promise.all(Array.from({ length: 20 }, (_, i) => vault.seal({ userId: 'carol', kind: 'c', recordId: `${i}` }, `m${i}`)));
  assert.is(store.size, 1);
  for (let i = 0; i < 20; i++) {
    assert.is(new TextDecoder().decode(await vault.open({ userId: 'carol', kind: 'c', recordId: `${i}` }, sealed[i]!)), `m${i}`);
  }
});

v('rewrapAll moves every key to the current master key and reports unreadable ones', async () => {
  const { k1, store, vault } = await setup();
  const users = ['u1', 'u2', 'u3'];
  const sealed = await Promise.all(users.map((u) => vault.seal({ userId: u, kind: 'p' }, u)));
  await store.create('broken', 'k1.zz.' + 'A'.repeat(96));
  const k2 = await Keyring.generateKey('k2');
  vault.setKeyring(new Keyring([k2, k1]));
  const report = await vault.rewrapAll();
  assert.is(report.rewrapped, 3);
  assert.equal(report.unreadable, ['broken']);
  for (const u of users) assert.is(keyIdOf((await store.get(u))!), 'k2');
  assert.equal((await vault.rewrapAll()).current, 3);
  vault.setKeyring(new Keyring([k2]));
  for (const [i, u] of users.entries()) assert.is(new TextDecoder().decode(await vault.open({ userId: u, kind: 'p' }, sealed[i]!)), u);
});

v('shredBackups: a copy of the key store taken before forget no longer opens afterwards', async () => {
  const { k1, store, vault } = await setup();
  const alice = { userId: 'alice', kind: 'profile' };
  const bob = { userId: 'bob', kind: 'profile' };
  const aliceRecord = await vault.seal(alice, 'alice bio');
  const bobRecord = await vault.seal(bob, 'bob bio');
  const backup = new Map([['alice', (await store.get('alice'))!], ['bob', (await store.get('bob'))!]]);
  await vault.forget('alice');
  // Before shredding, the backup still opens with the master key: forget alone is not enough.
  const restored = new MemoryDataKeyStore();
  for (const [u, w] of backup) await restored.create(u, w);
  assert.is(new TextDecoder().decode(await new Vault(vault.keyring, restored).open(alice, aliceRecord)), 'alice bio');

  const { keyring, report } = await vault.shredBackups(await Keyring.generateKey('k2'));
  assert.equal(keyring.ids, ['k2']);
  assert.is(report.rewrapped, 1);
  assert.is(new TextDecoder().decode(await vault.open(bob, bobRecord)), 'bob bio');
  await rejectsWith('CRYPTO_UNKNOWN_KEY_ID', () => new Vault(keyring, restored).open(alice, aliceRecord));
  await rejectsWith('CRYPTO_KEY_DESTROYED', () => vault.open(alice, aliceRecord));
  await rejectsWith('CRYPTO_BAD_INPUT', () => vault.shredBackups({ id: 'k2', key: k1.key }));
});

v('a store that races on replace is retried; an ever-racing one is CRYPTO_INTERNAL', async () => {
  const { k1, store, vault } = await setup();
  await vault.seal({ userId: 'u', kind: 'p' }, 'x');
  const flaky: DataKeyStore = Object.assign(Object.create(store), {
    replace: async () => false, get: (u: string) => store.get(u), userIds: () => store.userIds(),
  });
  const v2 = new Vault(new Keyring([await Keyring.generateKey('k2'), k1]), flaky);
  await rejectsWith('CRYPTO_INTERNAL', () => v2.rewrapAll());
});

v('validates its arguments', async () => {
  const { store, vault } = await setup();
  await rejectsWith('CRYPTO_BAD_KEY', () => new Vault({} as Keyring, store));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => vault.seal({ userId: '', kind: 'p' }, 'x'));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => vault.forget(''));
  await vault.seal({ userId: 'x', kind: 'p' }, 'y');
  await rejectsWith('CRYPTO_BAD_ENCODING', () => vault.open({ userId: 'x', kind: 'p' }, 'garbage'));
});

v.run();

/**
 * Crypto-shredding against a real Redis: records sealed by the vault live in
 * Redis as ciphertext only; an RDB snapshot is taken; the user is deleted; the
 * snapshot, restored into a second Redis, can no longer be decrypted with
 * anything the server still holds.
 *
 * The test also shows the negative control: right after `forget` (before the
 * master key is rotated away) the snapshot still opens, because it holds the
 * wrapped data key. That is why deletion ends with `shredBackups`.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { createIdentity } from '../../crypto/identity.ts';
import { Keyring, openRecord, type RecordBinding } from '../../crypto/records.ts';
import { Vault, type DataKeyStore } from '../../crypto/vault.ts';
import { rejectsWith } from './helpers.ts';

type Client = ReturnType<typeof createClient>;

const DK = 't:dk:';
const REC = 't:rec:';

/** Minimal DataKeyStore on Redis: GET, SET NX, a compare-and-set script, DEL, SCAN. */
class RedisDataKeyStore implements DataKeyStore {
  constructor(readonly client: Client) {}
  get(userId: string) { return this.client.sendCommand([ 'GET', DK + userId ]) as Promise<string | null>; }
  async create(userId: string, wrapped: string) {
    return (await cmd<string | null>(this.client, ['SET', DK + userId, wrapped, 'NX'])) === 'OK';
  }
  async replace(userId: string, expected: string, wrapped: string) {
    const script = "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end return 0";
    return (await cmd<number>(this.client, ['EVAL', script, '1', DK + userId, expected, wrapped])) === 1;
  }
  async delete(userId: string) { await this.client.sendCommand(['DEL', DK + userId]); }
  async *userIds() { for (const k of await scan(this.client, `${DK}*`)) yield k.slice(DK.length); }
}

function cmd<T>(client: Client, args: string[]): Promise<T> {
  return client.sendCommand(args) as Promise<T>;
}

async function scan(client: Client, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.sendCommand(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000']) as [string, string[]];
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const children: ChildProcess[] = [];
const clients: Client[] = [];
const dirs: string[] = [];

async function startRedis(dir: string, dbfilename = 'dump.rdb'): Promise<Client> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--dbfilename', dbfilename], { stdio: 'ignore' });
  children.push(child);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const client = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false } });
    client.on('error', () => {});
    try {
      await client.connect();
      // Wait until an RDB file (if any) is loaded.
      while ((await cmd<string>(client, ['PING'])) !== 'PONG') await new Promise((r) => setTimeout(r, 50));
      clients.push(client);
      return client;
    } catch (err) {
      await client.destroy?.();
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`redis-server did not start on ${port}`, { cause: err });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const PROFILES: Record<string, { displayName: string; bio: string; city: string }> = {
  alice: { displayName: 'Alice Wonderland-Secret', bio: 'private bio alpha quokka', city: 'Reykjavik-Hidden' },
  bob: { displayName: 'Bob Builder-Secret', bio: 'private bio bravo narwhal', city: 'Valparaiso-Hidden' },
  carol: { displayName: 'Carol Singer-Secret', bio: 'private bio charlie axolotl', city: 'Timbuktu-Hidden' },
};
const MESSAGES = ['hello there sunshine', 'see you at nine', 'my phone is 555-0199'];

const shred = suite('crypto-shredding on Redis');

shred.after(async () => {
  for (const c of clients) { try { await c.quit(); } catch { /* gone */ } }
  for (const ch of children) ch.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

shred('a snapshot taken before deletion no longer decrypts once the user is shredded', async () => {
  const liveDir = mkdtempSync(join(tmpdir(), 'shred-live-'));
  const snapDir = mkdtempSync(join(tmpdir(), 'shred-snap-'));
  dirs.push(liveDir, snapDir);
  const live = await startRedis(liveDir);
  const store = new RedisDataKeyStore(live);
  const k1 = await Keyring.generateKey('k1');
  const vault = new Vault(new Keyring([k1]), store);

  // Users are known only by public keys.
  const ids: Record<string, string> = {};
  for (const name of Object.keys(PROFILES)) ids[name] = (await createIdentity()).publicKey;
  const bindings = (name: string): RecordBinding[] => [
    { userId: ids[name]!, kind: 'profile' },
    ...MESSAGES.map((_, i) => ({ userId: ids[name]!, kind: 'chat', recordId: `m${i}` })),
  ];
  const recordKey = (b: RecordBinding) => `${REC}${b.userId}:${b.kind}:${b.recordId ?? ''}`;
  for (const name of Object.keys(PROFILES)) {
    const [profile, ...chats] = bindings(name);
    await live.sendCommand(['SET', recordKey(profile!), await vault.sealJson(profile!, PROFILES[name])]);
    for (const [i, b] of chats.entries()) await live.sendCommand(['SET', recordKey(b), await vault.seal(b, MESSAGES[i]!)]);
  }

  // Everything in Redis: known prefixes, ciphertext only.
  const all = await scan(live, '*');
  assert.is(all.length, 3 + 3 * 4);
  const plaintexts = [...Object.values(PROFILES).flatMap((p) => Object.values(p)), ...MESSAGES, ...Object.keys(PROFILES)];
  for (const key of all) {
    assert.ok(key.startsWith(DK) || key.startsWith(REC), key);
    const value = (await live.sendCommand(['GET', key])) as string;
    assert.match(value, key.startsWith(DK) ? /^k1\.k1\.[A-Za-z0-9_-]{96}$/ : /^r1\.[A-Za-z0-9_-]+$/);
    for (const p of plaintexts) assert.not.ok(value.includes(p) || key.includes(p), `${p} in ${key}`);
  }

  // Snapshot (an RDB file, as a backup would copy it).
  assert.is(await cmd<string>(live, ['SAVE']), 'OK');
  copyFileSync(join(liveDir, 'dump.rdb'), join(snapDir, 'snapshot.rdb'));

  // Delete alice: destroy her data key and her records.
  const alice = ids.alice!;
  await vault.forget(alice);
  for (const k of await scan(live, `${REC}${alice}:*`)) await live.sendCommand(['DEL', k]);
  assert.equal(await scan(live, `*${alice}*`), []);
  await rejectsWith('CRYPTO_KEY_DESTROYED', () => vault.open(bindings('alice')[0]!, 'r1.AAAA'));

  // The snapshot, restored into another Redis, still holds alice's wrapped key and records.
  const snap = await startRedis(snapDir, 'snapshot.rdb');
  const snapStore = new RedisDataKeyStore(snap);
  assert.is((await scan(snap, '*')).length, all.length);
  const snapRecord = async (b: RecordBinding) => (await snap.sendCommand(['GET', recordKey(b)])) as string;
  // Negative control: with the master key still held, forgetting alone does not reach the snapshot.
  const beforeShred = new Vault(vault.keyring, snapStore);
  assert.equal(await beforeShred.openJson(bindings('alice')[0]!, await snapRecord(bindings('alice')[0]!)), PROFILES.alice);

  // Shred: rewrap survivors under a fresh master key, then erase the old one.
  const oldKeyring = vault.keyring;
  const { keyring, report } = await vault.shredBackups(await Keyring.generateKey('k2'));
  await oldKeyring.destroy();
  assert.equal(keyring.ids, ['k2']);
  assert.equal({ rewrapped: report.rewrapped, unreadable: report.unreadable }, { rewrapped: 2, unreadable: [] });

  // Survivors are intact on the live store.
  for (const name of ['bob', 'carol']) {
    const [profile, ...chats] = bindings(name);
    const sealed = (await live.sendCommand(['GET', recordKey(profile!)])) as string;
    assert.equal(await vault.openJson(profile!, sealed), PROFILES[name]);
    for (const [i, b] of chats.entries()) {
      assert.is(new TextDecoder().decode(await vault.open(b, (await live.sendCommand(['GET', recordKey(b)])) as string)), MESSAGES[i]);
    }
    assert.match((await store.get(ids[name]!))!, /^k1\.k2\./);
  }

  // Alice's records in the snapshot: not with the current keyring over the snapshot's wrapped key...
  const afterShred = new Vault(keyring, snapStore);
  for (const b of bindings('alice')) {
    await rejectsWith('CRYPTO_UNKNOWN_KEY_ID', () => afterShred.open(b, 'r1.AAAA'));
    const sealed = await snapRecord(b);
    await rejectsWith('CRYPTO_UNKNOWN_KEY_ID', () => afterShred.open(b, sealed));
    // ...nor with the live store (her key is gone)...
    await rejectsWith('CRYPTO_KEY_DESTROYED', () => vault.open(b, sealed));
  }
  // ...nor with the snapshot's wrapped key relabelled to the current key id...
  const aliceWrapped = (await snapStore.get(alice))!;
  await rejectsWith('CRYPTO_DECRYPT_FAILED', () => keyring.unwrap(aliceWrapped.replace('k1.k1.', 'k1.k2.'), alice));
  // ...nor with any data key the server can still unwrap (every surviving user's).
  for (const name of ['bob', 'carol']) {
    const dk = await keyring.unwrap((await store.get(ids[name]!))!, ids[name]!);
    for (const b of bindings('alice')) {
      const sealed = await snapRecord(b);
      await rejectsWith('CRYPTO_DECRYPT_FAILED', () => openRecord(dk, sealed, b));
      await rejectsWith('CRYPTO_DECRYPT_FAILED', () => openRecord(dk, sealed, { ...b, userId: ids[name]! }));
    }
  }
  // The old master key object is erased too.
  await rejectsWith('CRYPTO_UNKNOWN_KEY_ID', () => oldKeyring.unwrap(aliceWrapped, alice));
});

shred.run();

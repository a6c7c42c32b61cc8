/**
 * `npm run rotate-master-key` against a real Redis: after a user is deleted
 * and the master key rotated, a copy of the store taken before the deletion
 * no longer opens that user's records, while the users who stayed keep theirs.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Keyring } from '../../crypto/records.ts';
import { MemoryDataKeyStore, Vault } from '../../crypto/vault.ts';
import { isPlatformError } from '../../crypto/errors.ts';
import { login, ok, startRedis, startServer, testConfig, type RedisHandle } from './helpers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const k1 = `k1:${randomBytes(32).toString('base64')}`;
const k2 = `k2:${randomBytes(32).toString('base64')}`;

function runRotation(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'signaling/rotate-master-key.ts'], {
      cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d; });
    child.stderr.on('data', (d: Buffer) => { out += d; });
    child.on('exit', (code) => resolve({ code, out }));
  });
}

const t = suite<{ redis: RedisHandle }>('rotate-master-key');
t.before(async (ctx) => { ctx.redis = await startRedis(); });
t.after(async (ctx) => { await ctx.redis?.stop(); });

t('refuses to run without REDIS_URL or MASTER_KEYS (exit 2)', async ({ redis }) => {
  const noRedis = await runRotation({ MASTER_KEYS: `${k2},${k1}` });
  assert.is(noRedis.code, 2, noRedis.out);
  assert.match(noRedis.out, 'REDIS_URL: expected');
  const noKeys = await runRotation({ REDIS_URL: redis.url });
  assert.is(noKeys.code, 2, noKeys.out);
  assert.match(noKeys.out, 'MASTER_KEYS: expected');
});

t('a deleted user stays unreadable in an earlier copy once the old master key is gone', async ({ redis }) => {
  const server = await startServer({ config: testConfig({ REDIS_URL: redis.url, MASTER_KEYS: k1 }) });
  const leaving = await login(server.url, 'model');
  const staying = await login(server.url, 'model');
  await ok(leaving.socket, 'profile:set', { fields: { displayName: 'Leaving Lee' } });
  await ok(staying.socket, 'profile:set', { fields: { displayName: 'Staying Sam' } });

  // The copy an attacker might find later: taken before the deletion.
  const db = createClient({ url: redis.url });
  db.on('error', () => undefined);
  await db.connect();
  const copy = { dk: (await db.get(`lc:dk:${leaving.key}`))!, rec: (await db.get(`lc:rec:${leaving.key}:profile`))! };

  await ok(leaving.socket, 'account:delete', {});
  assert.is(await db.get(`lc:dk:${leaving.key}`), null, 'the live store forgot the data key');
  leaving.socket.close();
  staying.socket.close();
  await server.server.close();

  const rotated = await runRotation({ REDIS_URL: redis.url, MASTER_KEYS: `${k2},${k1}` });
  assert.is(rotated.code, 0, rotated.out);
  assert.match(rotated.out, 'master key k2: 1 rewrapped, 0 already current');

  // Nodes restart with the new key only: the user who stayed still reads their profile.
  const after = await startServer({ config: testConfig({ REDIS_URL: redis.url, MASTER_KEYS: k2 }) });
  const again = await login(after.url, 'model', staying.identity);
  assert.equal((await ok(again.socket, 'profile:get', {})).fields, { displayName: 'Staying Sam' });
  again.socket.close();
  await after.server.close();

  // The old copy with every key the platform still holds: nothing opens.
  const keys = new MemoryDataKeyStore();
  await keys.create(leaving.key, copy.dk);
  const k2Only = new Keyring([{ id: 'k2', key: new Uint8Array(Buffer.from(k2.slice(3), 'base64')) }]);
  try {
    await new Vault(k2Only, keys).openJson({ userId: leaving.key, kind: 'profile' }, copy.rec);
    assert.unreachable('the earlier copy must not decrypt');
  } catch (err) {
    assert.ok(isPlatformError(err, 'CRYPTO_UNKNOWN_KEY_ID'), String(err));
  }
  // Control: with the old key (which the operator must now erase) it would still open.
  const k1Ring = new Keyring([{ id: 'k1', key: new Uint8Array(Buffer.from(k1.slice(3), 'base64')) }]);
  assert.equal(await new Vault(k1Ring, keys).openJson({ userId: leaving.key, kind: 'profile' }, copy.rec), { displayName: 'Leaving Lee' });
  await db.quit();
});

t.run();

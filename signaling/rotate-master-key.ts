/**
 * `npm run rotate-master-key`: moves every user's data key in the Redis store
 * under the first key of MASTER_KEYS.
 *
 * Why an operator runs it: deleting a user destroys their wrapped data key in
 * the live store, but a snapshot or backup taken earlier still holds it,
 * readable with the master key of that time. Once every data key is rewrapped
 * under a new master key and the old master key is erased, those copies are
 * noise for every user deleted so far. Run it on the cadence of the backup
 * retention you promise (e.g. daily):
 *
 *   1. MASTER_KEYS=new:...,old:...  on every node (restart them), then
 *   2. REDIS_URL=... MASTER_KEYS=new:...,old:... npm run rotate-master-key
 *   3. MASTER_KEYS=new:...          on every node, and erase the old key everywhere.
 *
 * Exit codes: 0 done, 1 some data keys could not be read (listed by
 * pseudonymous id), 2 bad configuration.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Keyring } from '../crypto/records.ts';
import { Vault } from '../crypto/vault.ts';
import { ConfigError, loadConfig } from './config.ts';
import { RedisKv, connectRedis } from './kv-redis.ts';
import { Store } from './store.ts';
import { StoreDataKeys } from './records.ts';

export interface RotationResult { current: string; rewrapped: number; alreadyCurrent: number; unreadable: string[] }

/** Rewrap every data key in the store at `redisUrl` under the first of `masterKeys`. */
export async function rotateMasterKey(redisUrl: string, masterKeys: { id: string; key: Buffer }[]): Promise<RotationResult> {
  const client = await connectRedis(redisUrl, () => undefined);
  try {
    const store = new Store(new RedisKv(client, false));
    const keyring = new Keyring(masterKeys.map((k) => ({ id: k.id, key: new Uint8Array(k.key) })));
    const report = await new Vault(keyring, new StoreDataKeys(store)).rewrapAll();
    return { current: masterKeys[0]!.id, rewrapped: report.rewrapped, alreadyCurrent: report.current, unreadable: report.unreadable };
  } finally {
    await client.quit().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
    if (!config.REDIS_URL) throw new ConfigError('REDIS_URL', 'expected the Redis store to rotate (the memory store forgets its keys at exit)');
    if (!process.env.MASTER_KEYS) throw new ConfigError('MASTER_KEYS', 'expected new:key,old:key (the new key first)');
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Invalid configuration: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const result = await rotateMasterKey(config.REDIS_URL, config.MASTER_KEYS);
  console.log(`data keys now under master key ${result.current}: ${result.rewrapped} rewrapped, ${result.alreadyCurrent} already current`);
  if (result.unreadable.length > 0) {
    console.error(`${result.unreadable.length} data keys are wrapped by a master key not in MASTER_KEYS: ${result.unreadable.join(', ')}`);
    process.exit(1);
  }
  console.log('Now set MASTER_KEYS to the new key alone on every node and erase the old key everywhere.');
}

// Run as a command, not when imported by a test.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();

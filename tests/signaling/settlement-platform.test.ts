/**
 * The platform's side of settlement: the challenge-period floor refuses a chain too short for the watcher, the
 * watcher runs on the embedded chain by default, and it is off (and says so) on a remote chain without a key.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startDevChain, type DevChain } from '../../contracts/devchain.ts';
import { ConfigError } from '../../signaling/config.ts';
import { startTestPlatform } from '../helpers/platform.ts';

const t = suite('settlement on the platform');
let remote: DevChain;

t.before(async () => {
  remote = await startDevChain({ port: 0, demoAccounts: 1, challengePeriodSeconds: 600 });
});
t.after(async () => {
  await remote?.close();
});

const remoteEnv = () => ({
  RPC_URL: remote.rpcUrl, LIVE_TOKEN_ADDRESS: remote.addresses.token, LIVE_CHANNELS_ADDRESS: remote.addresses.channels,
  SERVE_CLIENT: 'false', LOG_LEVEL: 'silent',
  AGE_VERIFICATION: 'off', // a remote chain is outside the one-machine demo: no age checks must be asked for
});

t('a chain whose challenge period is below MIN_CHALLENGE_PERIOD_SECONDS is refused at start', async () => {
  try {
    const platform = await startTestPlatform(remoteEnv());
    await platform.close();
    assert.unreachable('a 600 s challenge period passed the 3600 s floor');
  } catch (err) {
    assert.instance(err, ConfigError);
    assert.is((err as ConfigError).variable, 'MIN_CHALLENGE_PERIOD_SECONDS');
    assert.match((err as Error).message, /3600 s.*600 s/);
  }
});

t('a remote chain without WATCHER_PRIVATE_KEY: the platform starts with the watcher off and the banner says so', async () => {
  const platform = await startTestPlatform({ ...remoteEnv(), MIN_CHALLENGE_PERIOD_SECONDS: '600' });
  try {
    assert.is(platform.watcher, null);
    assert.match(platform.banner(), /watcher OFF \(set WATCHER_PRIVATE_KEY\)/);
  } finally {
    await platform.close();
  }
});

t('with WATCHER_PRIVATE_KEY the watcher runs from that wallet; on the embedded chain from its settlement account', async () => {
  const key = remote.demoAccounts[0]!;
  const withKey = await startTestPlatform({ ...remoteEnv(), MIN_CHALLENGE_PERIOD_SECONDS: '600', WATCHER_PRIVATE_KEY: key.privateKey });
  try {
    assert.is(withKey.watcher?.submitter, key.address);
    assert.ok(withKey.banner().includes(key.address));
  } finally {
    await withKey.close();
  }
  const embedded = await startTestPlatform({ SERVE_CLIENT: 'false', LOG_LEVEL: 'silent' });
  try {
    assert.is(embedded.watcher?.submitter, embedded.devChain!.settlementAccount.address);
    assert.ok(embedded.banner().includes('watcher on'));
  } finally {
    await embedded.close();
  }
});

t.run();

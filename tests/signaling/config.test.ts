import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../../signaling/config.ts';
import { DEFAULT_TUNING } from '../../signaling/context.ts';
import { DEFAULT_GRACE_MS, DEFAULT_MINUTE_MS } from '../../contracts/metering.ts';

const KEY32 = Buffer.alloc(32, 7).toString('base64');
const ED_KEY = 'A'.repeat(43);

/** Every variable with values it must accept and values it must refuse. */
const cases: Record<string, { good: [string, unknown][]; bad: string[]; extra?: Record<string, string> }> = {
  HOST: { good: [['0.0.0.0', '0.0.0.0'], ['localhost', 'localhost'], ['::1', '::1']], bad: ['not a host!', 'a/b'], extra: { AGE_VERIFICATION: 'off' } },
  PORT: { good: [['0', 0], ['8080', 8080], ['65535', 65535]], bad: ['-1', '65536', 'http', '80.5'] },
  PUBLIC_URL: { good: [['https://cam.example', 'https://cam.example']], bad: ['cam.example', 'ftp://cam.example'] },
  LOG_LEVEL: { good: [['debug', 'debug'], ['silent', 'silent']], bad: ['loud', 'INFO2'] },
  RPC_URL: {
    good: [['http://127.0.0.1:8545', 'http://127.0.0.1:8545']],
    bad: ['127.0.0.1:8545', 'file:///etc/passwd'],
    extra: { LIVE_TOKEN_ADDRESS: '0x' + '1'.repeat(40), LIVE_CHANNELS_ADDRESS: '0x' + '2'.repeat(40), AGE_VERIFICATION: 'off' },
  },
  CHAIN_PORT: { good: [['0', 0], ['9545', 9545]], bad: ['99999', 'x'] },
  LIVE_TOKEN_ADDRESS: { good: [['0x' + 'a'.repeat(40), '0x' + 'a'.repeat(40)]], bad: ['0x123', 'a'.repeat(40)] },
  LIVE_CHANNELS_ADDRESS: { good: [['0x' + 'B'.repeat(40), '0x' + 'B'.repeat(40)]], bad: ['0x' + 'g'.repeat(40)] },
  PLATFORM_FEE_BPS: { good: [['0', 0], ['1000', 1000]], bad: ['1001', '-5', '2.5'] },
  CHALLENGE_PERIOD_SECONDS: { good: [['60', 60], ['86400', 86400]], bad: ['59', 'day'], extra: { MIN_CHALLENGE_PERIOD_SECONDS: '60' } },
  REDIS_URL: { good: [['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379']], bad: ['127.0.0.1:6379', 'http://x'] },
  TURN_URLS: {
    good: [['turn:127.0.0.1:3478, turns:turn.example:5349', ['turn:127.0.0.1:3478', 'turns:turn.example:5349']]],
    bad: ['stun:127.0.0.1', 'turn:127.0.0.1,http://x'],
    extra: { TURN_SECRET: 'a-long-enough-secret' },
  },
  TURN_SECRET: { good: [['0123456789abcdef', '0123456789abcdef']], bad: ['short'] },
  TURN_TTL_SECONDS: { good: [['60', 60], ['86400', 86400]], bad: ['59', '86401'] },
  PRIVATE_VOUCHER_GRACE_SECONDS: { good: [['10', 10], ['59', 59]], bad: ['0', '60', 'soon'] },
  PRIVATE_MINUTE_MS: { good: [['60000', 60000], ['3000', 3000]], bad: ['999', '60001', '2500.5'], extra: { PRIVATE_VOUCHER_GRACE_SECONDS: '1' } },
  SFU_WORKERS: { good: [['1', 1], ['4', 4]], bad: ['65', '-1', 'many'] },
  SFU_NATIVE: { good: [['on', 'on'], ['off', 'off']], bad: ['0', 'no', 'maybe'] },
  SFU_STALL_SECONDS: { good: [['1', 1], ['3', 3], ['60', 60]], bad: ['0', '61', '2.5', 'soon'] },
  SFU_STALL_END_SECONDS: { good: [['5', 5], ['30', 30], ['600', 600]], bad: ['4', '601', 'never'] },
  SFU_JOIN_CPU_PERCENT: { good: [['10', 10], ['80', 80], ['100', 100]], bad: ['9', '101', '0.8', 'most'] },
  SFU_ANNOUNCED_IP: { good: [['127.0.0.1', '127.0.0.1'], ['::1', '::1']], bad: ['localhost', '999.1.1.1'] },
  SESSION_SECRET: { good: [[KEY32, Buffer.from(KEY32, 'base64')]], bad: ['c2hvcnQ=', 'not base64 at all !!'] },
  MASTER_KEYS: {
    good: [[`k1:${KEY32},k0:${KEY32}`, [{ id: 'k1', key: Buffer.from(KEY32, 'base64') }, { id: 'k0', key: Buffer.from(KEY32, 'base64') }]]],
    bad: ['k1', `k1:${KEY32.slice(0, 20)}`, `k1:${KEY32},k1:${KEY32}`],
  },
  VERIFIER_PUBLIC_KEYS: { good: [[`${ED_KEY},${'B'.repeat(43)}`, [ED_KEY, 'B'.repeat(43)]]], bad: ['abc', `${ED_KEY},xyz`] },
  AGE_VERIFICATION: { good: [['off', 'off']], bad: ['maybe'] },
  AGE_DOCUMENT_TTL_HOURS: { good: [['1', 1], ['168', 168]], bad: ['0', '2161', 'week'] },
  AGE_ATTESTATION_MAX_AGE_DAYS: { good: [['0', 0], ['365', 365]], bad: ['-1', '3651', '1.5'] },
  SERVE_CLIENT: { good: [['false', false], ['1', true]], bad: ['yes'] },
  MIN_CHALLENGE_PERIOD_SECONDS: { good: [['60', 60], ['3600', 3600]], bad: ['59', '2592001', 'hour'] },
  WATCHER_PRIVATE_KEY: { good: [['0x' + 'ab'.repeat(32), '0x' + 'ab'.repeat(32)]], bad: ['ab'.repeat(32), '0x' + 'ab'.repeat(31), '0x' + 'zz'.repeat(32)] },
  WATCHER_POLL_SECONDS: { good: [['1', 1], ['600', 600]], bad: ['0', '601', '0.5'] },
  RATING_REFRESH_SECONDS: { good: [['1', 1], ['3600', 3600]], bad: ['0', '3601', '0.5', 'soon'] },
  LOGIN_ORIGINS: {
    good: [['https://cam.example, http://localhost:8080', ['https://cam.example', 'http://localhost:8080']]],
    bad: ['cam.example', 'https://cam.example/', 'https://cam.example/path', 'ftp://cam.example', 'https://a.example,*'],
  },
  METRICS_TOKEN: { good: [['0123456789abcdef', '0123456789abcdef']], bad: ['short', 'has spaces in it, sixteen+'] },
  MAX_CONNECTIONS_PER_ADDRESS: { good: [['0', 0], ['64', 64]], bad: ['-1', '100001', 'many'] },
  AGE_PENDING_MAX: { good: [['1', 1], ['5000', 5000]], bad: ['0', '100001', '1.5'] },
  TRUSTED_PROXY_HEADER: {
    good: [['X-Forwarded-For', 'x-forwarded-for'], ['x-real-ip', 'x-real-ip']],
    bad: ['forwarded', 'x forwarded for', 'x-forwarded-for:', 'a'.repeat(65)],
    extra: { TRUSTED_PROXIES: '127.0.0.1' },
  },
  TRUSTED_PROXIES: {
    good: [['127.0.0.1, 10.0.0.0/8, fd00::/8, ::1', ['127.0.0.1', '10.0.0.0/8', 'fd00::/8', '::1']]],
    bad: ['proxy.example', '10.0.0.0/33', '::1/129', '10.0.0.0/8/1', '10.0.0.0/x', '999.0.0.1'],
    extra: { TRUSTED_PROXY_HEADER: 'x-forwarded-for' },
  },
  ADDRESS_RATE_LIMITS: { good: [['on', 'on'], ['off', 'off']], bad: ['yes', '0'] },
  SFU_MODE: { good: [['embedded', 'embedded'], ['remote', 'remote']], bad: ['both', 'on'], extra: { REDIS_URL: 'redis://127.0.0.1:6379' } },
  SFU_HOST_ID: { good: [['sfu-1', 'sfu-1'], ['eu_west_2', 'eu_west_2']], bad: ['has space', 'a/b', 'x'.repeat(65)] },
  SFU_PUBLIC_URL: { good: [['https://sfu1.cam.example', 'https://sfu1.cam.example']], bad: ['sfu1.cam.example', 'ftp://sfu1'] },
  SFU_VIEWERS_PER_WORKER: { good: [['1', 1], ['400', 400]], bad: ['0', '100001', '2.5'] },
  SFU_DRAIN_SECONDS: { good: [['1', 1], ['3600', 3600]], bad: ['0', '3601', 'soon'] },
};

const everyVariable = suite('config: every variable');

everyVariable('the table above covers every variable the platform reads', () => {
  assert.equal(Object.keys(cases).sort(), [...CONFIG_VARIABLES].sort());
});

for (const [variable, { good, bad, extra }] of Object.entries(cases)) {
  everyVariable(`${variable}: accepts good values`, () => {
    for (const [raw, expected] of good) {
      const config = loadConfig({ ...extra, [variable]: raw }) as unknown as Record<string, unknown>;
      assert.equal(config[variable], expected, `${variable}=${raw}`);
    }
  });
  everyVariable(`${variable}: refuses bad values with CONFIG_INVALID naming it`, () => {
    for (const raw of bad) {
      try {
        loadConfig({ ...extra, [variable]: raw });
        assert.unreachable(`${variable}=${raw} was accepted`);
      } catch (err) {
        assert.instance(err, ConfigError, `${variable}=${raw}`);
        const e = err as ConfigError;
        assert.is(e.code, 'CONFIG_INVALID');
        assert.is(e.variable, variable, `${variable}=${raw} blamed ${e.variable}`);
        assert.ok(e.message.startsWith(`${variable}: expected`) || e.message.startsWith(`${variable}: `), e.message);
      }
    }
  });
}

const defaults = suite('config: defaults and cross-checks');

defaults('no variables: the one-machine demo', () => {
  const c = loadConfig({});
  assert.is(c.HOST, '127.0.0.1');
  assert.is(c.PORT, 8080);
  assert.is(c.embeddedChain, true);
  assert.is(c.REDIS_URL, undefined);
  assert.is(c.AGE_VERIFICATION, 'off');
  assert.ok(c.SFU_WORKERS >= 1);
  assert.is(c.SESSION_SECRET.length, 32);
  assert.is(c.MASTER_KEYS.length, 1);
  assert.is(c.SFU_ANNOUNCED_IP, '127.0.0.1');
  assert.is(c.MAX_CONNECTIONS_PER_ADDRESS, 256, 'the per-address connection limit is on');
});

defaults('no proxy is trusted by default; a trusted proxy header needs the proxies, and the proxies a header', () => {
  const c = loadConfig({});
  assert.is(c.TRUSTED_PROXY_HEADER, undefined);
  assert.equal(c.TRUSTED_PROXIES, []);
  assert.throws(() => loadConfig({ TRUSTED_PROXY_HEADER: 'x-forwarded-for' }), (e: ConfigError) => e.variable === 'TRUSTED_PROXIES');
  assert.throws(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.1' }), (e: ConfigError) => e.variable === 'TRUSTED_PROXY_HEADER');
});

defaults('random secrets differ between starts', () => {
  assert.not.equal(loadConfig({}).SESSION_SECRET, loadConfig({}).SESSION_SECRET);
});

defaults('empty strings count as unset', () => {
  assert.is(loadConfig({ PORT: '', REDIS_URL: ' ' }).PORT, 8080);
});

defaults('RPC_URL needs both contract addresses', () => {
  assert.throws(() => loadConfig({ RPC_URL: 'http://127.0.0.1:8545' }), (e: ConfigError) => e.variable === 'LIVE_TOKEN_ADDRESS');
  assert.throws(
    () => loadConfig({ RPC_URL: 'http://127.0.0.1:8545', LIVE_TOKEN_ADDRESS: '0x' + '1'.repeat(40) }),
    (e: ConfigError) => e.variable === 'LIVE_CHANNELS_ADDRESS',
  );
  assert.is(loadConfig({ RPC_URL: 'http://127.0.0.1:8545', ...cases.RPC_URL!.extra }).embeddedChain, false);
});

defaults('age verification fails closed outside the one-machine demo: off needs AGE_VERIFICATION=off', () => {
  const remote = { RPC_URL: 'http://127.0.0.1:8545', LIVE_TOKEN_ADDRESS: '0x' + '1'.repeat(40), LIVE_CHANNELS_ADDRESS: '0x' + '2'.repeat(40) };
  for (const env of [{ HOST: '0.0.0.0' }, { HOST: 'cam.example' }, remote]) {
    assert.throws(() => loadConfig(env), (e: ConfigError) => e.variable === 'AGE_VERIFICATION' && e.message.includes('AGE_VERIFICATION=off'), JSON.stringify(env));
    assert.is(loadConfig({ ...env, AGE_VERIFICATION: 'off' }).AGE_VERIFICATION, 'off');
    assert.is(loadConfig({ ...env, VERIFIER_PUBLIC_KEYS: ED_KEY }).AGE_VERIFICATION, 'required');
  }
  for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) assert.is(loadConfig({ HOST: host }).AGE_VERIFICATION, 'off', host);
});

defaults('TURN_URLS needs TURN_SECRET', () => {
  assert.throws(() => loadConfig({ TURN_URLS: 'turn:127.0.0.1:3478' }), (e: ConfigError) => e.variable === 'TURN_SECRET');
});

defaults('one grace period, shorter than the billed minute, derived from contracts/metering.ts', () => {
  const c = loadConfig({});
  assert.equal([c.PRIVATE_VOUCHER_GRACE_SECONDS * 1000, c.PRIVATE_MINUTE_MS], [DEFAULT_GRACE_MS, DEFAULT_MINUTE_MS]);
  assert.equal([DEFAULT_TUNING.voucherGraceMs, DEFAULT_TUNING.minuteMs], [DEFAULT_GRACE_MS, DEFAULT_MINUTE_MS]);
  assert.throws(() => loadConfig({ PRIVATE_MINUTE_MS: '5000', PRIVATE_VOUCHER_GRACE_SECONDS: '5' }), (e: ConfigError) => e.variable === 'PRIVATE_VOUCHER_GRACE_SECONDS');
  assert.is(loadConfig({ PRIVATE_MINUTE_MS: '5000', PRIVATE_VOUCHER_GRACE_SECONDS: '4' }).PRIVATE_MINUTE_MS, 5000);
});

defaults('age verification is required as soon as a verifier key is configured', () => {
  assert.is(loadConfig({ VERIFIER_PUBLIC_KEYS: ED_KEY }).AGE_VERIFICATION, 'required');
  assert.throws(() => loadConfig({ AGE_VERIFICATION: 'required' }), (e: ConfigError) => e.variable === 'VERIFIER_PUBLIC_KEYS');
});

defaults('the embedded chain\'s challenge period must reach the floor the settlement watcher needs', () => {
  assert.is(loadConfig({}).MIN_CHALLENGE_PERIOD_SECONDS, 3600);
  assert.ok(loadConfig({}).CHALLENGE_PERIOD_SECONDS >= 3600, 'the defaults pass their own floor');
  assert.throws(() => loadConfig({ CHALLENGE_PERIOD_SECONDS: '600' }), (e: ConfigError) => e.variable === 'CHALLENGE_PERIOD_SECONDS' && e.message.includes('3600'));
  assert.is(loadConfig({ CHALLENGE_PERIOD_SECONDS: '600', MIN_CHALLENGE_PERIOD_SECONDS: '600' }).CHALLENGE_PERIOD_SECONDS, 600);
  assert.throws(() => loadConfig({ MIN_CHALLENGE_PERIOD_SECONDS: '172800' }), (e: ConfigError) => e.variable === 'CHALLENGE_PERIOD_SECONDS');
  // A remote chain's period is read from the contract at start (platform.ts), not from this variable.
  assert.is(loadConfig({ RPC_URL: 'http://127.0.0.1:8545', ...cases.RPC_URL!.extra, CHALLENGE_PERIOD_SECONDS: '600' }).embeddedChain, false);
});

defaults('SFU_MODE=remote needs the Redis its SFU hosts register in', () => {
  assert.throws(() => loadConfig({ SFU_MODE: 'remote' }), (e: ConfigError) => e.variable === 'REDIS_URL');
  assert.is(loadConfig({}).SFU_MODE, 'embedded');
});

defaults('unknown variables are ignored', () => {
  assert.is(loadConfig({ SOMETHING_ELSE: 'x' } as Record<string, string>).PORT, 8080);
});

everyVariable.run();
defaults.run();

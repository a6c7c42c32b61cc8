/**
 * A signaling process that stops on purpose (SIGTERM: a restart, a deploy) must not tell its browsers they were
 * kicked: socket.io clients never reconnect after a server-side `disconnect`, so every page on that process would
 * stay offline until reloaded. Found by `npm run bench:soak` (the clients of a SIGTERM'd process never came back).
 * The browser's own session service (client/services/session.ts) must log in again on the process that replaces
 * it, on the same address, with the same session (Redis keeps it).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import pino from 'pino';
import { Session } from '../../client/services/session.ts';
import { createIdentity } from '../../crypto/identity.ts';
import { createSignalingServer, type SignalingServer } from '../../signaling/server.ts';
import { FAST_TUNING, freePort, startRedis, testConfig, until, type RedisHandle } from './helpers.ts';

const t = suite('a signaling process that shuts down');
let redis: RedisHandle;
let server: SignalingServer | undefined;

t.before(async () => { redis = await startRedis(); });
t.after(async () => {
  await server?.close();
  await redis?.stop();
});

async function startOn(port: number, config: ReturnType<typeof testConfig>): Promise<SignalingServer> {
  const s = await createSignalingServer({ config, logger: pino({ level: 'silent' }), tuning: FAST_TUNING });
  await s.listen(port, '127.0.0.1');
  return s;
}

t('its browsers reconnect to the process that replaces it and resume their session', async () => {
  const port = await freePort();
  const config = testConfig({ REDIS_URL: redis.url, PORT: String(port) });
  server = await startOn(port, config);
  const identity = await createIdentity();
  const session = new Session({ role: 'client', identities: { get: async () => identity }, url: `http://127.0.0.1:${port}`, timeoutMs: 5_000 });
  try {
    const first = await session.login();
    const logins: string[] = [];
    session.events.on('login', (info) => logins.push(info.token));
    let offline = false;
    session.events.on('state', (s) => { if (s === 'offline') offline = true; });

    await server.close();
    await until(() => offline, 10_000, 'the session to notice the shutdown');
    server = await startOn(port, config);

    await until(() => logins.length > 0, 20_000, 'the session to log in again on the new process');
    assert.is(session.info?.key, first.key, 'the same identity');
    assert.is(session.state, 'online');
    const listed = await session.request('directory:subscribe', {});
    assert.ok(Array.isArray(listed.models), 'requests are answered again');
  } finally {
    session.close();
  }
});

t.run();

/**
 * The browser's Session service against the real signaling server (in Node; socket.io-client is the same
 * package): reads without logging in (no identity loaded), one login however many ask, server codes as
 * ClientErrors, resume after the connection drops, and an idempotent close.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createIdentity, type Identity } from '../../crypto/identity.ts';
import { ClientError } from '../../client/errors.ts';
import { Session, type SessionState } from '../../client/services/session.ts';
import type { Role } from '../../signaling/protocol.ts';
import { startServer, until, type Running } from '../signaling/helpers.ts';

/** Identities made in memory, counting how often the session asked (the app's comes from IndexedDB). */
class CountingIdentities {
  asked = 0;
  #made = new Map<Role, Promise<Identity>>();
  get(role: Role): Promise<Identity> {
    this.asked++;
    let made = this.#made.get(role);
    if (!made) this.#made.set(role, (made = createIdentity()));
    return made;
  }
}

const t = suite<{ run: Running }>('client session');
t.before(async (ctx) => { ctx.run = await startServer(); });
t.after(async (ctx) => { await ctx.run?.server.close(); });

t('reads the directory without logging in, and without loading an identity', async ({ run }) => {
  const identities = new CountingIdentities();
  const session = new Session({ role: 'client', identities, url: run.url });
  const { models } = await session.request('directory:subscribe', {});
  assert.ok(Array.isArray(models));
  assert.is(identities.asked, 0);
  assert.is(session.info, null);
  session.close();
});

t('logs in once however many ask; events that need a login then work', async ({ run }) => {
  const identities = new CountingIdentities();
  const session = new Session({ role: 'model', identities, url: run.url });
  const logins: string[] = [];
  session.events.on('login', (info) => logins.push(info.pseudonym));
  const [a, b] = await Promise.all([session.login(), session.login()]);
  assert.is(a, b);
  assert.equal(logins, [a.pseudonym]);
  assert.is(a.key, (await identities.get('model')).publicKey);
  const price = await session.request('model:setPrice', { pricePerMinute: '1000', minMinutes: 2 });
  assert.is(price.entry.minMinutes, 2);
  session.close();
});

t('a refusal arrives as a ClientError with the server\'s code', async ({ run }) => {
  const session = new Session({ role: 'client', identities: new CountingIdentities(), url: run.url });
  const err = await session.request('show:watch', { model: 'A'.repeat(43) }).catch((e: unknown) => e);
  assert.instance(err, ClientError);
  assert.is((err as ClientError).code, 'UNAUTHENTICATED');
  session.close();
});

t('a dropped connection comes back and the session resumes without a new challenge', async ({ run }) => {
  const identities = new CountingIdentities();
  const session = new Session({ role: 'client', identities, url: run.url });
  const states: SessionState[] = [];
  session.events.on('state', (s) => states.push(s));
  const first = await session.login();
  const asked = identities.asked;
  const resumed = new Promise<string>((resolve) => session.events.on('login', (info) => resolve(info.key)));
  // The server side of the transport goes away, as on a network blip.
  for (const [, socket] of run.server.io.of('/').sockets) socket.conn.close();
  assert.is(await resumed, first.key);
  assert.is(identities.asked, asked, 'resumed by token, no new identity signature');
  await until(() => states.includes('offline') && states.at(-1) === 'online', 10_000, 'offline then online');
  const err = await session.request('show:watch', { model: 'A'.repeat(43) }).catch((e: unknown) => e);
  assert.is((err as ClientError).code, 'NOT_FOUND', 'logged in again: the watch is refused for the model, not the session');
  session.close();
});

t('close is idempotent and later requests are refused', async ({ run }) => {
  const session = new Session({ role: 'client', identities: new CountingIdentities(), url: run.url });
  await session.request('directory:subscribe', {});
  session.close();
  session.close();
  assert.is(session.state, 'closed');
  const err = await session.request('directory:subscribe', {}).catch((e: unknown) => e);
  assert.instance(err, ClientError);
});

t.run();

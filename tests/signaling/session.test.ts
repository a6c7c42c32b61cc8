import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createIdentity } from '../../crypto/identity.ts';
import { signChallenge } from '../../crypto/login.ts';
import { call, client, connected, login, ok, serverForSuite } from './helpers.ts';

function sessions(name: string, withRedis: boolean) {
  const t = suite(`signaling session (${name})`);
  const server = serverForSuite(t, withRedis);

  t('challenge login gives a session token and a pseudonym', async () => {
    const u = await login(server.run.url, 'client');
    assert.is(u.key, u.identity.publicKey);
    assert.is(u.pseudonym, u.identity.pseudonym);
    assert.ok(u.token.length > 40);
    u.socket.close();
  });

  t('a replayed or forged challenge is refused with LOGIN_FAILED', async () => {
    const id = await createIdentity();
    const s = client(server.run.url);
    await connected(s);
    const { challenge } = await ok(s, 'session:challenge', {});
    const { signature } = await signChallenge(id, JSON.parse(challenge));
    await ok(s, 'session:login', { publicKey: id.publicKey, challenge, signature, role: 'client' });
    const s2 = client(server.run.url);
    await connected(s2);
    const replay = await call(s2, 'session:login', { publicKey: id.publicKey, challenge, signature, role: 'client' });
    assert.equal(replay.ok ? null : replay.error.code, 'LOGIN_FAILED');
    const other = await createIdentity();
    const { challenge: c2 } = await ok(s2, 'session:challenge', {});
    const forged = await call(s2, 'session:login', { publicKey: other.publicKey, challenge: c2, signature: (await signChallenge(id, JSON.parse(c2))).signature, role: 'client' });
    assert.equal(forged.ok ? null : forged.error.code, 'LOGIN_FAILED');
    s.close(); s2.close();
  });

  t('events that need a session answer UNAUTHENTICATED; a model-only event answers FORBIDDEN to a client', async () => {
    const s = client(server.run.url);
    await connected(s);
    const r = await call(s, 'chat:send', { showId: 'abcdefgh', text: 'hi' });
    assert.equal(r.ok ? null : r.error.code, 'UNAUTHENTICATED');
    const u = await login(server.run.url, 'client');
    const f = await call(u.socket, 'show:open', {});
    assert.equal(f.ok ? null : f.error.code, 'FORBIDDEN');
    s.close(); u.socket.close();
  });

  t('resume with the token on a new socket restores the identity; a bad token is SESSION_EXPIRED', async () => {
    const u = await login(server.run.url, 'client');
    u.socket.close();
    const s = client(server.run.url);
    await connected(s);
    const r = await ok(s, 'session:resume', { token: u.token });
    assert.is(r.key, u.key);
    assert.is(r.role, 'client');
    assert.is(r.pseudonym, u.pseudonym);
    const bad = await call(s, 'session:resume', { token: u.token.slice(0, -2) + 'AA', role: 'client' });
    assert.equal(bad.ok ? null : bad.error.code, 'SESSION_EXPIRED');
    s.close();
  });

  t('a connection keeps one identity and one role', async () => {
    const u = await login(server.run.url, 'client');
    const { challenge } = await ok(u.socket, 'session:challenge', {});
    const { signature } = await signChallenge(u.identity, JSON.parse(challenge));
    const r = await call(u.socket, 'session:login', { publicKey: u.key, challenge, signature, role: 'model' });
    assert.is(r.ok ? null : r.error.code, 'CONFLICT');
    u.socket.close();
  });

  return t;
}

sessions('memory', false).run();
sessions('redis', true).run();

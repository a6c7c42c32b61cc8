import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createIdentity } from '../../crypto/identity.ts';
import { signChallenge } from '../../crypto/login.ts';
import { io as connect } from 'socket.io-client';
import { call, client, connected, login, ok, serverForSuite, startServer, type ClientSocket } from './helpers.ts';

/** Resolves when `s` disconnects; rejects after 5 s. */
function disconnected(s: ClientSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket still connected after 5 s')), 5_000);
    s.once('disconnect', () => { clearTimeout(timer); resolve(); });
  });
}

/** A resume of `token` on a fresh socket: its error code, or 'ok'. */
async function resumeCode(url: string, token: string, role?: 'client' | 'model'): Promise<string> {
  const s = client(url);
  await connected(s);
  const r = await call(s, 'session:resume', role ? { token, role } : { token });
  s.close();
  return r.ok ? 'ok' : r.error.code;
}

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

  t('an old token after logout is refused, on resume and over HTTP', async () => {
    const u = await login(server.run.url, 'client');
    const gone = disconnected(u.socket);
    await ok(u.socket, 'session:logout', {});
    await gone;
    assert.is(await resumeCode(server.run.url, u.token), 'SESSION_EXPIRED');
    const upload = await fetch(`${server.run.url}/age/documents?verifierKey=x`, { method: 'POST', headers: { authorization: `Bearer ${u.token}`, 'content-type': 'application/octet-stream' }, body: 'x' });
    assert.is(upload.status, 401);
  });

  t('logout ends every socket of that session, not other sessions of the identity', async () => {
    const u = await login(server.run.url, 'client');
    const second = client(server.run.url);
    await connected(second);
    await ok(second, 'session:resume', { token: u.token });
    const other = await login(server.run.url, 'client', u.identity);
    const gone = disconnected(second);
    await ok(u.socket, 'session:logout', {});
    await gone;
    await ok(other.socket, 'directory:subscribe', {});
    assert.is(await resumeCode(server.run.url, other.token), 'ok');
    other.socket.close();
  });

  t('a client session cannot resume as model; the session keeps its role', async () => {
    const u = await login(server.run.url, 'client');
    u.socket.close();
    assert.is(await resumeCode(server.run.url, u.token, 'model'), 'FORBIDDEN');
    const s = client(server.run.url);
    await connected(s);
    const r = await ok(s, 'session:resume', { token: u.token });
    assert.is(r.role, 'client');
    const f = await call(s, 'show:open', {});
    assert.is(f.ok ? null : f.error.code, 'FORBIDDEN');
    s.close();
  });

  t('resume hands back the same token and expiry, not a fresh 12 h token', async () => {
    const u = await login(server.run.url, 'model');
    u.socket.close();
    const s = client(server.run.url);
    await connected(s);
    const r = await ok(s, 'session:resume', { token: u.token });
    assert.is(r.token, u.token);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a fresh token would now expire a second later
    const again = await ok(s, 'session:resume', { token: u.token });
    assert.is(again.token, u.token);
    assert.is(again.expiresAt, r.expiresAt);
    s.close();
  });

  t('no token of an identity resumes after account:delete', async () => {
    const u = await login(server.run.url, 'client');
    const other = await login(server.run.url, 'model', u.identity);
    other.socket.close();
    const gone = disconnected(u.socket);
    await ok(u.socket, 'account:delete', {});
    await gone;
    assert.is(await resumeCode(server.run.url, u.token), 'SESSION_EXPIRED');
    assert.is(await resumeCode(server.run.url, other.token), 'SESSION_EXPIRED');
  });

  return t;
}

/** A socket that claims any Origin and Host, as a relay outside a browser can. */
function forging(url: string, origin: string, host: string): ClientSocket {
  return connect(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { v: 1 }, extraHeaders: { origin, host } });
}

const audience = suite('login audience from configuration');

audience('a forged Origin/Host pair neither names the audience nor logs in a signature made for that origin', async () => {
  const run = await startServer();
  const s = forging(run.url, 'https://evil.example', 'evil.example');
  await connected(s);
  const { challenge } = await ok(s, 'session:challenge', {});
  const c = JSON.parse(challenge) as { audience: string };
  assert.is(c.audience, run.url, 'the challenge names the configured origin');
  const id = await createIdentity();
  const forged = JSON.stringify({ ...c, audience: 'https://evil.example' });
  const { signature } = await signChallenge(id, JSON.parse(forged));
  const r = await call(s, 'session:login', { publicKey: id.publicKey, challenge: forged, signature, role: 'client' });
  assert.is(r.ok ? null : r.error.code, 'LOGIN_FAILED');
  s.close();
  await run.server.close();
});

audience('LOGIN_ORIGINS lets a configured origin log in under its own name', async () => {
  const run = await startServer({ env: { LOGIN_ORIGINS: 'https://cam.example' } });
  const s = forging(run.url, 'https://cam.example', 'cam.example');
  await connected(s);
  const { challenge } = await ok(s, 'session:challenge', {});
  assert.is((JSON.parse(challenge) as { audience: string }).audience, 'https://cam.example');
  const id = await createIdentity();
  const { signature } = await signChallenge(id, JSON.parse(challenge), 'https://cam.example');
  await ok(s, 'session:login', { publicKey: id.publicKey, challenge, signature, role: 'client' });
  s.close();
  await run.server.close();
});

audience.run();
sessions('memory', false).run();
sessions('redis', true).run();

/**
 * Directory, presence, public shows and chat moderation, end to end over
 * socket.io, on the memory store and on a real Redis.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { verifySfuToken } from '../../sfu/tokens.ts';
import { deriveSecret } from '../../crypto/login.ts';
import { call, client, connected, login, mediaArrives, next, ok, serverForSuite, until } from './helpers.ts';

function flows(name: string, withRedis: boolean) {
  const t = suite(`public shows (${name})`);
  const server = serverForSuite(t, withRedis);

  t('a model going online, setting a price, opening and closing a show is pushed to directory subscribers', async () => {
    const viewer = await login(server.run.url, 'client');
    const { models: before } = await ok(viewer.socket, 'directory:subscribe', {});
    const online = next(viewer.socket, 'directory:update', (e) => e.status === 'online');
    const model = await login(server.run.url, 'model');
    const entry = await online;
    assert.is(entry.key, model.key);
    assert.is(entry.pseudonym, model.pseudonym);
    assert.not.ok(before.some((m) => m.key === model.key));

    const priced = next(viewer.socket, 'directory:update', (e) => e.key === model.key && e.pricePerMinute === '1000');
    await ok(model.socket, 'model:setPrice', { pricePerMinute: '1000', minMinutes: 3 });
    assert.is((await priced).minMinutes, 3);

    const live = next(viewer.socket, 'directory:update', (e) => e.key === model.key && e.status === 'public');
    const opened = await ok(model.socket, 'show:open', {});
    // Absolute, from the SFU host's public URL (issue 15): here the embedded SFU, at this server's own address.
    assert.is(opened.whipUrl, `${server.run.url}/whip/${opened.showId}`);
    // WHIP/WHEP tokens are signed with a key derived for them, not the raw SESSION_SECRET.
    const sfuKey = await deriveSecret(server.run.server.config.SESSION_SECRET, 'sfu-token');
    const claims = verifySfuToken(sfuKey, opened.whipToken, 'whip', opened.showId);
    assert.is(claims.sub, model.key);
    assert.throws(() => verifySfuToken(server.run.server.config.SESSION_SECRET, opened.whipToken, 'whip', opened.showId), 'the raw secret does not verify it');
    server.run.sfu!.start(opened.showId);
    assert.is((await live).showId, opened.showId);
    const { models } = await ok(viewer.socket, 'directory:subscribe', {});
    assert.ok(models.some((m) => m.key === model.key && m.status === 'public'));

    const watch = await ok(viewer.socket, 'show:watch', { model: model.key });
    assert.is(watch.whepUrl, `${server.run.url}/whep/${opened.showId}`);
    const whep = verifySfuToken(sfuKey, watch.whepToken, 'whep', opened.showId);
    assert.is.not(whep.sub, viewer.key, 'the SFU gets a random viewer id, not the identity');
    server.run.sfu!.events.emit('viewercount', opened.showId, 1);
    await until(async () => (await ok(viewer.socket, 'directory:subscribe', {})).models.find((m) => m.key === model.key)?.viewers === 1, 5000, 'viewer count');

    const ended = next(viewer.socket, 'show:ended');
    const back = next(viewer.socket, 'directory:update', (e) => e.key === model.key && e.status === 'online');
    await ok(model.socket, 'show:close', {});
    assert.equal(await ended, { showId: opened.showId, reason: 'ended' });
    assert.is((await back).showId, null);
    const gone = await call(viewer.socket, 'chat:send', { showId: opened.showId, text: 'still there?' });
    assert.is(gone.ok ? null : gone.error.code, 'NOT_FOUND');

    const offline = next(viewer.socket, 'directory:update', (e) => e.key === model.key && e.status === 'offline');
    model.socket.close();
    await offline;
    viewer.socket.close();
  });

  t('chat reaches every viewer as text; length, rate limit, slow mode and mute are enforced', async () => {
    const model = await login(server.run.url, 'model');
    const { showId } = await ok(model.socket, 'show:open', {});
    await mediaArrives(server.run, model, showId);
    const a = await login(server.run.url, 'client');
    const b = await login(server.run.url, 'client');
    await ok(a.socket, 'show:watch', { model: model.key });
    await ok(b.socket, 'show:watch', { model: model.key });

    const atB = next(b.socket, 'chat:message');
    const atModel = next(model.socket, 'chat:message');
    const sent = await ok(a.socket, 'chat:send', { showId, text: '  <b>hi</b>\u202e  ' });
    const m = await atB;
    assert.is(m.id, sent.id);
    assert.is(m.text, '<b>hi</b>', 'kept as text, bidi override and padding removed');
    assert.equal(m.from, { key: a.key, pseudonym: a.pseudonym });
    assert.is((await atModel).id, sent.id);

    const long = await call(a.socket, 'chat:send', { showId, text: 'x'.repeat(501) });
    assert.is(long.ok ? null : long.error.code, 'BAD_REQUEST');
    const notWatching = await login(server.run.url, 'client');
    const nw = await call(notWatching.socket, 'chat:send', { showId, text: 'hello' });
    assert.is(nw.ok ? null : nw.error.code, 'FORBIDDEN');

    // 5 messages per 5 s per identity (default tuning): the 6th in a burst is refused.
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await call(b.socket, 'chat:send', { showId, text: `burst ${i}` });
      codes.push(r.ok ? 'ok' : r.error.code);
    }
    assert.equal(codes, ['ok', 'ok', 'ok', 'ok', 'ok', 'RATE_LIMITED']);

    const slowPush = next(a.socket, 'chat:slowMode');
    await ok(model.socket, 'chat:slowMode', { showId, seconds: 30 });
    assert.equal(await slowPush, { showId, seconds: 30 });
    await ok(a.socket, 'chat:send', { showId, text: 'first' });
    const slow = await call(a.socket, 'chat:send', { showId, text: 'second' });
    assert.is(slow.ok ? null : slow.error.code, 'SLOW_MODE');
    await ok(model.socket, 'chat:send', { showId, text: 'the model is not slowed' });
    await ok(model.socket, 'chat:send', { showId, text: 'really' });
    await ok(model.socket, 'chat:slowMode', { showId, seconds: 0 });

    const toldMuted = next(a.socket, 'chat:moderated', (e) => e.action === 'muted');
    const notMine = await call(b.socket, 'chat:mute', { showId, target: a.key, seconds: 60 });
    assert.is(notMine.ok ? null : notMine.error.code, 'FORBIDDEN');
    await ok(model.socket, 'chat:mute', { showId, target: a.key, seconds: 60 });
    assert.is((await toldMuted).target, a.key);
    const muted = await call(a.socket, 'chat:send', { showId, text: 'hello?' });
    assert.is(muted.ok ? null : muted.error.code, 'MUTED');

    await ok(model.socket, 'show:close', {});
    for (const u of [model, a, b, notWatching]) u.socket.close();
  });

  t('a ban removes the viewer, and survives reconnects and new sockets until unbanned', async () => {
    const model = await login(server.run.url, 'model');
    const { showId } = await ok(model.socket, 'show:open', {});
    await mediaArrives(server.run, model, showId);
    const v = await login(server.run.url, 'client');
    await ok(v.socket, 'show:watch', { model: model.key });
    const kicked = next(v.socket, 'show:ended', (e) => e.reason === 'banned');
    await ok(model.socket, 'chat:ban', { target: v.key });
    assert.is((await kicked).showId, showId);
    const after = await call(v.socket, 'chat:send', { showId, text: 'let me in' });
    assert.is(after.ok ? null : after.error.code, 'BANNED');

    // A new socket with the same identity (fresh login) and a resumed one are still banned.
    v.socket.close();
    const again = await login(server.run.url, 'client', v.identity);
    const w = await call(again.socket, 'show:watch', { model: model.key });
    assert.is(w.ok ? null : w.error.code, 'BANNED');
    const s = client(server.run.url);
    await connected(s);
    await ok(s, 'session:resume', { token: again.token });
    const w2 = await call(s, 'show:watch', { model: model.key });
    assert.is(w2.ok ? null : w2.error.code, 'BANNED');

    await ok(model.socket, 'chat:unban', { target: v.key });
    await ok(s, 'show:watch', { model: model.key });
    await ok(model.socket, 'show:close', {});
    for (const x of [model.socket, again.socket, s]) x.close();
  });

  t('reconnect resumes the session and its show; a model back within the grace period keeps its show', async () => {
    const model = await login(server.run.url, 'model');
    const { showId } = await ok(model.socket, 'show:open', {});
    await mediaArrives(server.run, model, showId);
    const v = await login(server.run.url, 'client');
    await ok(v.socket, 'show:watch', { model: model.key });

    v.socket.close();
    const v2 = client(server.run.url);
    await connected(v2);
    const resumed = await ok(v2, 'session:resume', { token: v.token });
    assert.equal(resumed.showIds, [showId]);
    const got = next(v2, 'chat:message');
    await ok(model.socket, 'chat:send', { showId, text: 'welcome back' });
    assert.is((await got).text, 'welcome back');

    model.socket.close();
    const m2 = client(server.run.url);
    await connected(m2);
    const r = await ok(m2, 'session:resume', { token: model.token });
    assert.is(r.role, 'model');
    assert.equal(r.showIds, [showId]);
    const still = await ok(m2, 'show:open', {});
    assert.is(still.showId, showId, 'same show, new WHIP token');

    // Gone for longer than the grace period: the show ends for its viewers.
    const ended = next(v2, 'show:ended', (e) => e.showId === showId);
    m2.close();
    assert.is((await ended).reason, 'disconnected');
    v2.close();
  });

  t('/metrics serves prometheus text', async () => {
    const res = await fetch(`${server.run.url}/metrics`);
    const text = await res.text();
    assert.is(res.status, 200);
    assert.match(text, /signaling_events_total\{event="show:open",result="ok"\}/);
    assert.match(text, /signaling_connections /);
  });

  return t;
}

flows('memory', false).run();
flows('redis', true).run();

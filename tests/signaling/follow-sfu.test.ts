/**
 * Signaling follows the SFU engine's events (signaling/follow-sfu.ts): public
 * on `showstarted`, the viewer count from `viewercount`, a media drop back to
 * `online` with the show open, a stalled publisher told to the show's room,
 * one way a show ends. The engine is the test's
 * `TestSfu` (the e2e test tests/e2e/follow-sfu.test.ts runs a real one); on
 * the memory store, then two signaling nodes on a real Redis.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TestSfu, call, login, mediaArrives, next, none, ok, sleep, startRedis, startServer, testConfig, until, type RedisHandle, type Running, type User } from './helpers.ts';

const one = suite<{ run: Running; sfu: TestSfu }>('following one SFU');

one.before(async (ctx) => {
  ctx.run = await startServer();
  ctx.sfu = ctx.run.sfu!;
});
one.after(async ({ run }) => { await run.server.close(); });

async function entryOf(u: User, model: string) {
  return (await ok(u.socket, 'directory:subscribe', {})).models.find((m) => m.key === model);
}

one('until the SFU has the media the model is online with its show open and watching answers NOT_FOUND; showstarted makes it public', async ({ run, sfu }) => {
  const viewer = await login(run.url, 'client');
  const model = await login(run.url, 'model');
  await ok(viewer.socket, 'directory:subscribe', {});
  const opening = next(viewer.socket, 'directory:update', (e) => e.key === model.key && e.showId !== null);
  const { showId } = await ok(model.socket, 'show:open', {});
  const opened = await opening;
  assert.equal({ status: opened.status, showId: opened.showId }, { status: 'online', showId });
  const early = await call(viewer.socket, 'show:watch', { model: model.key });
  assert.is(early.ok ? null : early.error.code, 'NOT_FOUND');
  assert.match(early.ok ? '' : early.error.message, /not started/);

  const live = next(viewer.socket, 'directory:update', (e) => e.key === model.key && e.status === 'public');
  sfu.start(showId);
  assert.is((await live).showId, showId);
  assert.is((await ok(viewer.socket, 'show:watch', { model: model.key })).showId, showId);
  const again = await ok(model.socket, 'show:open', {});
  assert.is(again.showId, showId);
  assert.is((await entryOf(viewer, model.key))?.status, 'public', 'a new WHIP token while media flows keeps the show public');
  await ok(model.socket, 'show:close', {});
  viewer.socket.close();
  model.socket.close();
});

one('the viewer count is the engine\'s: watching does not move it, viewercount does', async ({ run, sfu }) => {
  const model = await login(run.url, 'model');
  const { showId } = await ok(model.socket, 'show:open', {});
  await mediaArrives(run, model, showId);
  const a = await login(run.url, 'client');
  const b = await login(run.url, 'client');
  await ok(a.socket, 'show:watch', { model: model.key });
  await ok(b.socket, 'show:watch', { model: model.key });
  assert.ok(await none(model.socket, 'show:viewers', 300), 'no count pushed for a watch without media');
  assert.is((await entryOf(a, model.key))?.viewers, 0);

  const three = next(a.socket, 'show:viewers');
  sfu.events.emit('viewercount', showId, 3);
  assert.equal(await three, { showId, viewers: 3 });
  assert.is((await entryOf(a, model.key))?.viewers, 3);
  const zero = next(model.socket, 'show:viewers', (e) => e.viewers === 0);
  sfu.events.emit('viewercount', showId, 0);
  assert.is((await zero).showId, showId);
  await ok(model.socket, 'show:close', {});
  for (const u of [model, a, b]) u.socket.close();
});

one('a media drop leaves the show open: the model is online with it, chat goes on, viewers are told, media back makes it public again', async ({ run, sfu }) => {
  const model = await login(run.url, 'model');
  const { showId } = await ok(model.socket, 'show:open', {});
  await mediaArrives(run, model, showId);
  const viewer = await login(run.url, 'client');
  await ok(viewer.socket, 'show:watch', { model: model.key });
  sfu.events.emit('viewercount', showId, 1);
  await until(async () => (await entryOf(viewer, model.key))?.viewers === 1, 5000, 'count of 1');

  const dropped = next(viewer.socket, 'directory:update', (e) => e.key === model.key && e.status === 'online');
  sfu.drop(showId, 'disconnected');
  const entry = await dropped;
  assert.equal({ showId: entry.showId, viewers: entry.viewers }, { showId, viewers: 0 }, 'a viewer in the room hears of it; the count is gone with the media');
  const refused = await call((await login(run.url, 'client')).socket, 'show:watch', { model: model.key });
  assert.is(refused.ok ? null : refused.error.code, 'NOT_FOUND');
  assert.ok((await call(viewer.socket, 'chat:send', { showId, text: 'still here' })).ok, 'the show is still open');

  const back = next(viewer.socket, 'directory:update', (e) => e.key === model.key && e.status === 'public');
  sfu.start(showId);
  assert.is((await back).showId, showId);

  // A burst of start/drop pairs is applied in order: the last word wins.
  for (let i = 0; i < 5; i++) { sfu.drop(showId, 'replaced'); sfu.start(showId); }
  sfu.drop(showId, 'disconnected');
  await sleep(300);
  assert.equal(await run.server.store.getPresence(model.key), { status: 'online', showId, pseudonym: model.pseudonym });
  await ok(model.socket, 'show:close', {});
  model.socket.close();
  viewer.socket.close();
});

one('a stalled publisher: viewers and model get show:stalled, the show leaves the public list, resumes with the media, and ends when the engine gives up', async ({ run, sfu }) => {
  const model = await login(run.url, 'model');
  const { showId } = await ok(model.socket, 'show:open', {});
  await mediaArrives(run, model, showId);
  const viewer = await login(run.url, 'client');
  await ok(viewer.socket, 'show:watch', { model: model.key });

  const viewerTold = next(viewer.socket, 'show:stalled');
  const modelTold = next(model.socket, 'show:stalled');
  const offList = next(viewer.socket, 'directory:update', (e) => e.key === model.key && e.status === 'online');
  sfu.events.emit('showstalled', showId);
  assert.equal(await viewerTold, { showId, stalled: true });
  assert.equal(await modelTold, { showId, stalled: true });
  assert.is((await offList).showId, showId, 'the show stays open, off the public list');
  const refused = await call((await login(run.url, 'client')).socket, 'show:watch', { model: model.key });
  assert.is(refused.ok ? null : refused.error.code, 'NOT_FOUND', 'nobody new is sent to a show without media');

  const resumedTold = next(viewer.socket, 'show:stalled');
  const listed = next(viewer.socket, 'directory:update', (e) => e.key === model.key && e.status === 'public');
  sfu.events.emit('showresumed', showId);
  assert.equal(await resumedTold, { showId, stalled: false });
  assert.is((await listed).showId, showId);

  sfu.events.emit('showstalled', showId);
  const ended = next(viewer.socket, 'show:ended');
  const closedBefore = sfu.closed.length;
  sfu.events.emit('showended', showId, 'stalled');
  assert.equal(await ended, { showId, reason: 'disconnected' });
  assert.is(await run.server.store.getShow(showId), null, 'a show stalled too long ends at signaling too');
  assert.equal(sfu.closed.slice(closedBefore), [showId]);
  assert.equal(await run.server.store.getPresence(model.key), { status: 'online', showId: null, pseudonym: model.pseudonym });
  model.socket.close();
  viewer.socket.close();
});

/** A public show with one viewer; `end` runs `how`, then counts what the viewer and the SFU saw. */
async function endedOnce(run: Running, sfu: TestSfu, how: (model: User, showId: string) => Promise<void>) {
  const model = await login(run.url, 'model');
  const { showId } = await ok(model.socket, 'show:open', {});
  await mediaArrives(run, model, showId);
  const viewer = await login(run.url, 'client');
  await ok(viewer.socket, 'show:watch', { model: model.key });
  let endings = 0;
  viewer.socket.on('show:ended', () => { endings++; });
  const before = sfu.closed.length;
  await how(model, showId);
  await until(() => endings > 0, 5000, 'show:ended');
  await sleep(300);
  viewer.socket.close();
  return { model, showId, endings, closed: sfu.closed.slice(before) };
}

one('one way a show ends: show:close closes the SFU show once and the engine\'s showended that follows changes nothing', async ({ run, sfu }) => {
  const { model, showId, endings, closed } = await endedOnce(run, sfu, async (m) => { await ok(m.socket, 'show:close', {}); });
  assert.is(endings, 1, 'viewers are told once');
  assert.equal(closed, [showId], 'the SFU is asked once');
  assert.equal(await run.server.store.getPresence(model.key), { status: 'online', showId: null, pseudonym: model.pseudonym });
  const closeAgain = await call(model.socket, 'show:close', {});
  assert.is(closeAgain.ok ? null : closeAgain.error.code, 'NOT_FOUND');
  model.socket.close();
});

one('a publisher\'s own WHIP DELETE ends the show once, through signaling', async ({ run, sfu }) => {
  const { model, showId, endings, closed } = await endedOnce(run, sfu, async (_m, id) => { sfu.drop(id, 'deleted'); });
  assert.is(endings, 1);
  assert.equal(closed, [showId], 'endShow closes the (already gone) SFU show, which is idempotent');
  assert.is(await run.server.store.getShow(showId), null);
  model.socket.close();
});

one('media for a show signaling already ended is closed at the SFU and never listed', async ({ run, sfu }) => {
  const model = await login(run.url, 'model');
  const { showId } = await ok(model.socket, 'show:open', {});
  await ok(model.socket, 'show:close', {});
  const before = sfu.closed.length;
  sfu.start(showId); // e.g. a WHIP POST with the show's still-valid token
  await until(() => sfu.closed.length > before, 5000, 'the SFU asked to close it');
  assert.equal(sfu.closed.slice(before), [showId]);
  assert.equal(await run.server.store.getPresence(model.key), { status: 'online', showId: null, pseudonym: model.pseudonym });
  model.socket.close();
});

one.run();

const two = suite<{ redis: RedisHandle; a: Running; b: Running }>('two signaling nodes, the SFU on one');

two.before(async (ctx) => {
  ctx.redis = await startRedis();
  ctx.a = await startServer({ config: testConfig({ REDIS_URL: ctx.redis.url }) });
  ctx.b = await startServer({ config: testConfig({ REDIS_URL: ctx.redis.url }), sfu: null });
});
two.after(async ({ redis, a, b }) => {
  await b?.server.close();
  await a?.server.close();
  await redis?.stop();
});

two('the node hosting the SFU turns the show public and writes the count once; the other node\'s sockets get both', async ({ a, b }) => {
  const sfu = a.sfu!;
  const model = await login(b.url, 'model');
  const viewer = await login(b.url, 'client');
  await ok(viewer.socket, 'directory:subscribe', {});
  const { showId } = await ok(model.socket, 'show:open', {});
  const live = next(viewer.socket, 'directory:update', (e) => e.key === model.key && e.status === 'public');
  sfu.start(showId);
  assert.is((await live).showId, showId);
  await ok(viewer.socket, 'show:watch', { model: model.key });

  const counted = next(model.socket, 'show:viewers', (e) => e.viewers === 2);
  sfu.events.emit('viewercount', showId, 2);
  assert.is((await counted).showId, showId);
  assert.is((await entryOf(viewer, model.key))?.viewers, 2, 'node B reads the count node A wrote');

  const ended = next(viewer.socket, 'show:ended');
  sfu.drop(showId, 'deleted');
  assert.equal(await ended, { showId, reason: 'ended' });
  model.socket.close();
  viewer.socket.close();
});

two.run();

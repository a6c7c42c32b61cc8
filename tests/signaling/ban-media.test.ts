/**
 * A ban reaches the viewer's media, not only the chat: signaling asks the SFU to evict the banned viewer's WHEP
 * subject (sfu/engine.ts `evictViewer`, tested with media in tests/sfu/evict-viewer.test.ts) shortly after it
 * told the viewer's pages. The subject is the one in the WHEP tokens that viewer got, the same on all their
 * devices, and tells the SFU nothing about who they are (another show, another subject).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TypedEmitter } from '../../sfu/emitter.ts';
import type { SfuEngineEvents } from '../../sfu/engine.ts';
import { BAN_EVICT_AFTER_MS } from '../../signaling/chat.ts';
import { login, next, ok, startServer, until, type Running } from './helpers.ts';

const subjectOf = (whepToken: string): string => (JSON.parse(Buffer.from(whepToken.split('.')[0]!, 'base64url').toString()) as { sub: string }).sub;

class RecordingSfu {
  readonly events = new TypedEmitter<SfuEngineEvents>();
  readonly evicted: { showId: string; sub: string; at: number }[] = [];
  async closeShow(showId: string): Promise<void> { this.events.emit('showended', showId, 'deleted'); }
  async evictViewer(showId: string, sub: string): Promise<void> { this.evicted.push({ showId, sub, at: Date.now() }); }
  readonly readmitted: { showId: string; sub: string }[] = [];
  async readmitViewer(showId: string, sub: string): Promise<void> { this.readmitted.push({ showId, sub }); }
}

const t = suite<{ run: Running; sfu: RecordingSfu }>('a ban ends the viewer\'s media');

t.before(async (ctx) => {
  ctx.sfu = new RecordingSfu();
  ctx.run = await startServer({ sfu: ctx.sfu });
});
t.after(async ({ run }) => { await run?.server.close(); });

t('the banned viewer\'s WHEP subject is evicted at the SFU after the pages were told; nobody else\'s', async ({ run, sfu }) => {
  const model = await login(run.url, 'model');
  const { showId } = await ok(model.socket, 'show:open', {});
  const live = next(model.socket, 'directory:update', (e) => e.key === model.key && e.status === 'public');
  sfu.events.emit('showstarted', showId);
  await live;
  const banned = await login(run.url, 'client');
  const secondDevice = await login(run.url, 'client', banned.identity);
  const other = await login(run.url, 'client');
  const tokens = await Promise.all([banned, secondDevice, other].map((u) => ok(u.socket, 'show:watch', { model: model.key })));
  const [sub, sub2, otherSub] = tokens.map((w) => subjectOf(w.whepToken));
  assert.is(sub, sub2, 'one subject for the viewer on every device');
  assert.is.not(sub, otherSub);
  assert.is.not(sub, banned.key, 'the SFU does not learn the identity');
  assert.not.ok(sub!.includes(banned.key));

  const told = next(banned.socket, 'show:ended', (e) => e.reason === 'banned');
  const bannedAt = Date.now();
  await ok(model.socket, 'chat:ban', { target: banned.key });
  await told;
  assert.equal(sfu.evicted, [], 'the viewer\'s own page gets the first moment to leave');
  await until(() => sfu.evicted.length > 0, BAN_EVICT_AFTER_MS + 5000, 'eviction');
  assert.equal(sfu.evicted.map((e) => [e.showId, e.sub]), [[showId, sub]]);
  assert.ok(sfu.evicted[0]!.at - bannedAt >= BAN_EVICT_AFTER_MS - 50, 'after the grace');

  // An unban lets the subject in again at the SFU.
  await ok(model.socket, 'chat:unban', { target: banned.key });
  assert.equal(sfu.readmitted, [{ showId, sub }]);
  // The next show gives the same viewer another subject: the SFU cannot link them across shows.
  await ok(model.socket, 'show:close', {});
  const { showId: nextShow } = await ok(model.socket, 'show:open', {});
  const liveAgain = next(model.socket, 'directory:update', (e) => e.key === model.key && e.status === 'public' && e.showId === nextShow);
  sfu.events.emit('showstarted', nextShow);
  await liveAgain;
  const w = await ok(banned.socket, 'show:watch', { model: model.key });
  assert.is(w.showId, nextShow);
  assert.is.not(subjectOf(w.whepToken), sub);
  for (const u of [model, banned, secondDevice, other]) u.socket.close();
});

t.run();

/**
 * A tip goal's progress, as every viewer of the show is told it: the sum of the tips in the model's current show
 * since the goal was set. A menu action's tip names the action in the chat (only when it paid its price); a new goal
 * starts from zero, and so does the model's next show.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { login, mediaArrives, next, ok, type User } from './helpers.ts';
import { LIVE, privateWorld, voucher, type PrivateWorld } from './private-setup.ts';

const t = suite<{ w: PrivateWorld; other: User; showId: string }>('tips: goal progress');

t.before(async (ctx) => {
  ctx.w = await privateWorld();
  ctx.other = await login(ctx.w.run.url, 'client'); // watches, never pays
  await ok(ctx.w.model.socket, 'tips:setMenu', { items: [{ label: 'Dance', amount: LIVE(5).toString() }] });
  const { showId } = await ok(ctx.w.model.socket, 'show:open', {});
  ctx.showId = showId;
  await mediaArrives(ctx.w.run, ctx.w.model, showId);
  for (const u of [ctx.w.client, ctx.other]) await ok(u.socket, 'show:watch', { model: ctx.w.model.key });
});
t.after(async (ctx) => {
  ctx.other?.socket.close();
  await ctx.w?.close();
});

t('setting a goal tells the show, at zero', async ({ w, other, showId }) => {
  const seen = next(other.socket, 'tips:goal');
  const { goal } = await ok(w.model.socket, 'tips:setGoal', { goal: { title: 'New lights', target: LIVE(10).toString() } });
  assert.equal(await seen, { model: w.model.key, goal });
  assert.equal([goal!.progress, goal!.showId], ['0', showId]);
});

t('each tip moves the progress for every viewer; a menu tip names its action', async ({ w, other, showId }) => {
  const goal1 = next(other.socket, 'tips:goal');
  const chat1 = next(other.socket, 'chat:message', (m) => m.kind === 'tip');
  await ok(w.client.socket, 'chat:tip', { showId, voucher: await voucher(w, LIVE(5)), item: 'Dance' });
  assert.is((await goal1).goal!.progress, LIVE(5).toString());
  assert.equal([(await chat1).item, (await chat1).amount], ['Dance', LIVE(5).toString()]);

  const goal2 = next(w.client.socket, 'tips:goal');
  const chat2 = next(other.socket, 'chat:message', (m) => m.kind === 'tip');
  await ok(w.client.socket, 'chat:tip', { showId, voucher: await voucher(w, LIVE(6.25)) });
  assert.is((await goal2).goal!.progress, LIVE(6.25).toString());
  assert.is((await chat2).item, undefined);

  // Less than the action's price: counted, but the chat does not claim the action was paid for.
  const chat3 = next(other.socket, 'chat:message', (m) => m.kind === 'tip');
  await ok(w.client.socket, 'chat:tip', { showId, voucher: await voucher(w, LIVE(7.25)), item: 'Dance' });
  assert.equal([(await chat3).item, (await chat3).amount], [undefined, LIVE(1).toString()]);
  assert.is((await ok(other.socket, 'tips:get', { model: w.model.key })).goal!.progress, LIVE(7.25).toString());
});

t('a new goal starts from zero', async ({ w, other }) => {
  const before = (await ok(other.socket, 'tips:get', { model: w.model.key })).goal!;
  const { goal } = await ok(w.model.socket, 'tips:setGoal', { goal: { title: 'New lights', target: LIVE(10).toString() } });
  assert.is.not(goal!.id, before.id);
  assert.is((await ok(other.socket, 'tips:get', { model: w.model.key })).goal!.progress, '0');
});

t('the next show starts from zero; removing the goal tells the show', async ({ w, other, showId }) => {
  await ok(w.client.socket, 'chat:tip', { showId, voucher: await voucher(w, LIVE(8)) });
  assert.is((await ok(other.socket, 'tips:get', { model: w.model.key })).goal!.progress, LIVE(0.75).toString());
  await ok(w.model.socket, 'show:close', {});
  const { showId: second } = await ok(w.model.socket, 'show:open', {});
  await mediaArrives(w.run, w.model, second);
  const goal = (await ok(other.socket, 'tips:get', { model: w.model.key })).goal!;
  assert.equal([goal.progress, goal.showId], ['0', second]);
  await ok(other.socket, 'show:watch', { model: w.model.key });
  const removed = next(other.socket, 'tips:goal');
  await ok(w.model.socket, 'tips:setGoal', { goal: null });
  assert.is((await removed).goal, null);
});

t.run();

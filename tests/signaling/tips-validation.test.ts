/**
 * The tip menu and goal events refuse bad input with a stable code and keep nothing of it: too many actions, a
 * label twice, a zero price, text too long or with nothing printable, a viewer setting a menu; a tip naming an
 * action that is not on the menu is refused before its voucher is taken (no money moves). `tips:get` needs no login.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LIMITS } from '../../signaling/protocol.ts';
import { call, client, connected, mediaArrives, ok } from './helpers.ts';
import { LIVE, privateWorld, voucher, type PrivateWorld } from './private-setup.ts';

const t = suite<{ w: PrivateWorld }>('tips: validation');
const code = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? null : r.error!.code);
const item = (label: string, amount = LIVE(5).toString()) => ({ label, amount });

t.before(async (ctx) => { ctx.w = await privateWorld(); });
t.after(async (ctx) => { await ctx.w?.close(); });

t('a bad menu gets BAD_REQUEST and the stored menu stays as it was', async ({ w }) => {
  await ok(w.model.socket, 'tips:setMenu', { items: [item('Dance')] });
  const bad = [
    Array.from({ length: LIMITS.tipMenuMaxItems + 1 }, (_, i) => item(`Action ${i}`)),
    [item('Dance'), item('dance')],
    [item('Dance'), item(' Dance ')],
    [item('Dance', '0')],
    [item('Dance', '-5')],
    [item('Dance', '5.5')],
    [item('x'.repeat(LIMITS.tipLabelMaxLength + 1))],
    [item('')],
    [item('\u202e\u0007')],
    [{ label: 'Dance', amount: '5', extra: 1 }],
  ];
  for (const items of bad) {
    assert.is(code(await call(w.model.socket, 'tips:setMenu', { items })), 'BAD_REQUEST', JSON.stringify(items).slice(0, 80));
  }
  assert.equal((await ok(w.client.socket, 'tips:get', { model: w.model.key })).menu, [item('Dance')]);
});

t('a bad goal gets BAD_REQUEST; only a model sets a menu or a goal', async ({ w }) => {
  for (const goal of [{ title: 'Goal', target: '0' }, { title: '', target: '5' }, { title: 'x'.repeat(LIMITS.tipGoalTitleMaxLength + 1), target: '5' }, { title: '\u0000', target: '5' }, { title: 'Goal' }]) {
    assert.is(code(await call(w.model.socket, 'tips:setGoal', { goal })), 'BAD_REQUEST', JSON.stringify(goal));
  }
  assert.is((await ok(w.client.socket, 'tips:get', { model: w.model.key })).goal, null);
  assert.is(code(await call(w.client.socket, 'tips:setMenu', { items: [item('Mine')] })), 'FORBIDDEN');
  assert.is(code(await call(w.client.socket, 'tips:setGoal', { goal: { title: 'Mine', target: '5' } })), 'FORBIDDEN');
});

t('labels and titles are kept on one line without control characters', async ({ w }) => {
  const { menu } = await ok(w.model.socket, 'tips:setMenu', { items: [item('  Flash\n\n me\u200b\u0007 '), item('Dance')] });
  assert.equal(menu.map((i) => i.label), ['Flash me\u200b', 'Dance']);
  const { goal } = await ok(w.model.socket, 'tips:setGoal', { goal: { title: 'New\ncar\u202e', target: LIVE(100).toString() } });
  assert.is(goal!.title, 'New car');
  assert.is(goal!.progress, '0');
});

t('anyone reads the menu and goal without logging in', async ({ w }) => {
  const anon = client(w.run.url);
  await connected(anon);
  const r = await ok(anon, 'tips:get', { model: w.model.key });
  assert.equal(r.menu.map((i) => i.label), ['Flash me\u200b', 'Dance']);
  assert.is(r.goal!.title, 'New car');
  assert.is(code(await call(anon, 'tips:get', { model: 'not-a-key' })), 'BAD_REQUEST');
  anon.close();
});

t('a tip for an action not on the menu is refused before its voucher is taken', async ({ w }) => {
  const { showId } = await ok(w.model.socket, 'show:open', {});
  await mediaArrives(w.run, w.model, showId);
  await ok(w.client.socket, 'show:watch', { model: w.model.key });
  const v = await voucher(w, LIVE(5));
  assert.is(code(await call(w.client.socket, 'chat:tip', { showId, voucher: v, item: 'Sing' })), 'NOT_FOUND');
  assert.is(code(await call(w.client.socket, 'chat:tip', { showId, voucher: v, item: 'x'.repeat(LIMITS.tipLabelMaxLength + 1) })), 'BAD_REQUEST');
  assert.is(await w.run.server.store.keptVoucher(w.channelId), null, 'no voucher kept');
  assert.is(await w.run.server.store.channelHighWater(w.channelId), '0', 'nothing counted');
  // The same voucher for an action on the menu goes through: it was never used.
  assert.is((await ok(w.client.socket, 'chat:tip', { showId, voucher: v, item: 'dance' })).amount, LIVE(5).toString());
  await ok(w.model.socket, 'show:close', {});
});

t.run();

/**
 * Tips in a public show, and a model's tip menu (priced actions) and tip goal (a title and a target), both public: `tips:setMenu` and
 * `tips:setGoal` by the model, `tips:get` by anyone (no login: an anonymous viewer sees them too). A change is
 * pushed to the model's show and the model (`tips:menu`, `tips:goal`). The goal's progress is the sum of the tips in
 * the model's current show since the goal was set (chat.ts `chat:tip` calls `countTip` once a voucher brought new
 * money); a new goal starts from zero, and so does a new show. The money itself is the vouchers': progress is only
 * what the show is told. `chat:tip` takes a voucher on the tipper's channel with the model (payments.ts, the one
 * rule for money through signaling), hands it to the model (`tip:voucher`) and announces it in the chat.
 */
import { formatUnits } from 'ethers';
import { rooms, type Ctx, type Handlers } from './context.ts';
import { fail } from './errors.ts';
import type { ChatMessage, TipGoal, TipMenuItem } from './protocol.ts';
import { cleanText, showOf } from './chat.ts';
import { acceptVoucher } from './payments.ts';
import { newId } from './shows.ts';
import { refuseHidden } from './regions.ts';

/** A label or title as shown to everyone: chat.ts's cleaning, on one line. */
function oneLine(text: string): string {
  return cleanText(text.replace(/\s+/g, ' '));
}

/** The goal as the show sees it now: progress counted in another show than the open one is zero here. */
function current(goal: TipGoal | null, showId: string | null): TipGoal | null {
  if (!goal) return null;
  return goal.showId === showId ? goal : { ...goal, progress: '0', showId };
}

async function openShowOf(ctx: Ctx, model: string): Promise<string | null> {
  return (await ctx.store.getPresence(model))?.showId ?? null;
}

function push(ctx: Ctx, model: string, showId: string | null) {
  return ctx.io.to(showId ? [rooms.show(showId), rooms.identity(model)] : rooms.identity(model));
}

/** The menu action a tip names, checked before its voucher is taken; null when it names none. */
export async function tipItem(ctx: Ctx, model: string, label: string | undefined): Promise<TipMenuItem | null> {
  if (label === undefined) return null;
  const wanted = oneLine(label).toLowerCase();
  const item = (await ctx.store.tipMenu(model)).find((i) => i.label.toLowerCase() === wanted);
  if (!item) fail('NOT_FOUND', 'item: not on the model\'s tip menu');
  return item;
}

/**
 * Counts `amount` (new money of an accepted tip) toward the model's goal and tells the show. Never throws: the tip
 * is already paid, and a failure here only delays what the progress bar shows until the next tip.
 */
export async function countTip(ctx: Ctx, model: string, showId: string, amount: string): Promise<void> {
  if (amount === '0') return;
  try {
    const goal = await ctx.store.addTipToGoal(model, showId, BigInt(amount));
    if (goal) push(ctx, model, showId).emit('tips:goal', { model, goal });
  } catch (err) {
    ctx.logger.warn({ err, showId }, 'tip goal progress not updated');
  }
}

export function tipHandlers(ctx: Ctx): Handlers {
  return {
    'chat:tip': {
      access: 'any',
      async handle(socket, p) {
        const key = socket.data.key;
        const show = await showOf(ctx, socket, p.showId);
        if (show.model === key) fail('FORBIDDEN', 'a model cannot tip itself');
        const item = await tipItem(ctx, show.model, p.item);
        const { amount } = await acceptVoucher(ctx, p.voucher, key, show.model);
        // The action is named only when the tip paid its price: the chat must not say "Dance" for less.
        const paidFor = item && BigInt(amount) >= BigInt(item.amount) ? item.label : undefined;
        const message: ChatMessage = {
          showId: p.showId, id: newId(), from: { key, pseudonym: socket.data.pseudonym }, kind: 'tip',
          text: `tipped ${formatUnits(amount, 18).replace(/\.0$/, '')} LIVE${paidFor ? ` for ${paidFor}` : ''}`, amount, ...(paidFor ? { item: paidFor } : {}), at: Date.now(),
        };
        ctx.io.to(rooms.identity(show.model)).emit('tip:voucher', { showId: p.showId, from: message.from, voucher: p.voucher, amount });
        ctx.io.to(rooms.show(p.showId)).emit('chat:message', message);
        ctx.metrics.chatMessages.inc({ kind: 'tip' });
        ctx.logger.info({ showId: p.showId }, 'tip'); // not who: a log must not say who pays which model
        await countTip(ctx, show.model, p.showId, amount);
        return { id: message.id, amount };
      },
    },
    'tips:setMenu': {
      access: 'model',
      async handle(socket, p) {
        const model = socket.data.key;
        const menu = p.items.map((i) => ({ label: oneLine(i.label), amount: i.amount }));
        if (new Set(menu.map((i) => i.label.toLowerCase())).size !== menu.length) fail('BAD_REQUEST', 'items: expected each label once');
        await ctx.store.setTipMenu(model, menu);
        push(ctx, model, await openShowOf(ctx, model)).emit('tips:menu', { model, menu });
        return { menu };
      },
    },
    'tips:setGoal': {
      access: 'model',
      async handle(socket, p) {
        const model = socket.data.key;
        const showId = await openShowOf(ctx, model);
        const goal: TipGoal | null = p.goal && { id: newId(), title: oneLine(p.goal.title), target: p.goal.target, progress: '0', showId };
        await ctx.store.setTipGoal(model, goal);
        push(ctx, model, showId).emit('tips:goal', { model, goal });
        return { goal };
      },
    },
    'tips:get': {
      access: 'none',
      async handle(socket, p) {
        await refuseHidden(ctx, p.model, socket.data, 'tips');
        const [menu, goal, showId] = await Promise.all([ctx.store.tipMenu(p.model), ctx.store.tipGoal(p.model), openShowOf(ctx, p.model)]);
        return { menu, goal: current(goal, showId) };
      },
    },
  };
}

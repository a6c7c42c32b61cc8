/**
 * How a private session ends, and the timers that end it: a voucher late past the grace period (the meter's
 * verdict, see private-meter.ts) or a peer gone longer than the disconnect grace. Timers live on the process that
 * set them but always re-read the session from the store, so a voucher or a reconnect handled by another process
 * counts; the end itself is claimed atomically, so it happens once. A process that starts re-arms the timers of
 * the active sessions it finds in the store (`resumePrivateCalls`).
 */
import { rooms, type Ctx } from './context.ts';
import type { EndReason } from './protocol.ts';
import { isConnectedAnywhere, setStatus } from './presence.ts';
import { asActive, meterFor } from './private-meter.ts';
import type { PrivateSession } from './store.ts';

/** Lifetime of an active session's record (a call longer than this ends with it). */
export const ACTIVE_TTL_MS = 24 * 3600_000;

/**
 * How long a claim to end a session holds. The end takes milliseconds; a claimant that died half-way (a crash, Redis
 * going away) must not leave the session, and the model's `private` status, behind for long.
 */
export const END_CLAIM_MS = 10_000;

/**
 * Ends a session once (whoever claims the transition first), telling both sides. A caller that finds the end
 * claimed, or fails half-way itself, looks again once the claim has lapsed and finishes the end if the session is
 * still there.
 */
export async function endPrivate(ctx: Ctx, id: string, reason: EndReason, by?: string): Promise<boolean> {
  const s = await ctx.store.getPrivate(id);
  if (!s) return false;
  const finishLater = () => ctx.timers.set(`privend:${id}`, END_CLAIM_MS + 500, async () => { await endPrivate(ctx, id, reason, by); });
  if (!(await ctx.store.claimPrivateTransition(id, 'end', END_CLAIM_MS))) {
    finishLater();
    return false;
  }
  try {
    await finishEnd(ctx, s, id, reason, by);
  } catch (err) {
    finishLater();
    throw err;
  }
  ctx.timers.cancel(`privend:${id}`);
  return true;
}

async function finishEnd(ctx: Ctx, s: PrivateSession, id: string, reason: EndReason, by: string | undefined): Promise<void> {
  ctx.timers.cancel(`privreq:${id}`);
  ctx.timers.cancel(`privpay:${id}`);
  ctx.timers.cancel(`peer:${id}:${s.client}`);
  ctx.timers.cancel(`peer:${id}:${s.model}`);
  await ctx.store.deletePrivate(s);
  await ctx.store.removeActivePrivate(id);
  // State first, then the news: whoever hears "ended" may act on it at once (the model can take the next request).
  if (s.state === 'active') {
    const presence = await ctx.store.getPresence(s.model);
    if (presence?.status === 'private') await setStatus(ctx, s.model, presence.pseudonym, 'online', null);
  }
  const both = ctx.io.to(rooms.identity(s.client)).to(rooms.identity(s.model));
  if (s.state === 'requested' && (reason === 'declined' || reason === 'timeout')) {
    both.emit('private:declined', { sessionId: id, reason });
  } else {
    // Ended by a side, late, disconnected; or, before the answer, withdrawn by the client or a side vanished.
    both.emit('private:ended', { sessionId: id, reason, ...(by ? { by } : {}) });
  }
  ctx.metrics.privateSessions.inc({ outcome: reason });
  ctx.logger.info({ sessionId: id, model: s.modelPseudonym, reason, paidMinutes: s.paidMinutes }, 'private session ended');
}

/** (Re-)arms the session's payment timer: at `delayMs`, the meter rebuilt from the store decides. */
export function watchPayments(ctx: Ctx, id: string, delayMs: number): void {
  ctx.timers.set(`privpay:${id}`, Math.max(0, delayMs), async () => {
    const call = asActive(await ctx.store.getPrivate(id));
    if (!call) return;
    const now = Date.now();
    if (now < call.meter.resumeUntil) return watchPayments(ctx, id, call.meter.resumeUntil - now);
    const decision = meterFor(ctx, call).check(now);
    // The meter ends a session strictly after its deadline: look again just past it.
    if (decision.action === 'continue') return watchPayments(ctx, id, decision.deadline - now + 1);
    ctx.logger.info({ sessionId: id, why: decision.error.code }, 'private session payment late');
    await endPrivate(ctx, id, 'voucher_late');
  });
}

/** Called when an identity has no socket left on this process. */
export function peerGone(ctx: Ctx, id: string, key: string): void {
  ctx.timers.set(`peer:${id}:${key}`, ctx.tuning.peerDisconnectGraceMs, async () => {
    if (await isConnectedAnywhere(ctx, key)) return;
    await endPrivate(ctx, id, 'disconnected', key);
  });
}

/**
 * Re-arms every active session found in the store (a process starting next to, or instead of, the one that ran
 * it). Both peers get the disconnect grace to reconnect, and the client a resume window of that plus the voucher
 * grace to hand over the voucher it could not deliver while signaling was away; then the usual rules apply.
 */
export async function resumePrivateCalls(ctx: Ctx): Promise<number> {
  let resumed = 0;
  for (const id of await ctx.store.activePrivateIds()) {
    const call = asActive(await ctx.store.getPrivate(id));
    if (!call) {
      await ctx.store.removeActivePrivate(id);
      continue;
    }
    const resumeUntil = Date.now() + ctx.tuning.peerDisconnectGraceMs + call.meter.graceMs;
    const updated = await ctx.store.updatePrivate(id, (current) => {
      const c = asActive(current);
      return c && { ...c, meter: { ...c.meter, resumeUntil: Math.max(c.meter.resumeUntil, resumeUntil) } };
    });
    if (!updated) continue;
    watchPayments(ctx, id, resumeUntil - Date.now());
    peerGone(ctx, id, call.client);
    peerGone(ctx, id, call.model);
    resumed++;
  }
  if (resumed > 0) ctx.logger.info({ sessions: resumed }, 'private sessions re-armed');
  return resumed;
}

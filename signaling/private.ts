/**
 * Private-show handshake, server side: request (price, minimum minutes) →
 * accept / decline / timeout, with an on-chain check that the client's channel
 * covers the minimum; per-session TURN credentials; relay of offer, answer,
 * ICE and signed DTLS fingerprints; relay of per-minute vouchers to the model;
 * and the end of the session (either side, a voucher late past the grace
 * period, or a peer gone longer than the disconnect grace).
 *
 * Minutes follow contracts/metering.ts: minute N starts at `startedAt + (N-1) *
 * minuteMs` and is prepaid; its voucher (cumulative `baseline + N * price`) may
 * be at most `graceMs` late. Both sides get these numbers on accept.
 *
 * Timers live on the process that set them but always re-read the session
 * from the store, so a voucher or a reconnect handled by another process
 * counts. One-time transitions (answer, end) are claimed atomically.
 */
import { verifyFingerprint } from '../crypto/fingerprint.ts';
import { isPlatformError } from '../crypto/errors.ts';
import { rooms, type AuthedSock, type Ctx, type Handlers, type Sock } from './context.ts';
import { fail } from './errors.ts';
import type { EndReason } from './protocol.ts';
import type { PrivateSession } from './store.ts';
import { newId } from './shows.ts';
import { turnCredentials } from './turn.ts';
import { acceptVoucher, checkChannelCovers } from './payments.ts';
import { endShow, isConnectedAnywhere, setStatus } from './presence.ts';

const ACTIVE_TTL_MS = 24 * 3600_000;

async function sessionFor(ctx: Ctx, socket: AuthedSock, id: string): Promise<PrivateSession> {
  const s = await ctx.store.getPrivate(id);
  const key = socket.data.key;
  if (!s || (s.client !== key && s.model !== key)) fail('NOT_FOUND', 'no such private session');
  return s;
}

function peerOf(s: PrivateSession, key: string): string {
  return s.client === key ? s.model : s.client;
}

/** Ends a session once (whoever claims the transition first), telling both sides. */
export async function endPrivate(ctx: Ctx, id: string, reason: EndReason, by?: string): Promise<boolean> {
  const s = await ctx.store.getPrivate(id);
  if (!s) return false;
  if (!(await ctx.store.claimPrivateTransition(id, 'end', 60_000))) return false;
  ctx.timers.cancel(`privreq:${id}`);
  ctx.timers.cancel(`privpay:${id}`);
  ctx.timers.cancel(`peer:${id}:${s.client}`);
  ctx.timers.cancel(`peer:${id}:${s.model}`);
  await ctx.store.deletePrivate(s);
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
  return true;
}

/** When the current prepaid minute's voucher is due at the latest. */
function voucherDeadline(ctx: Ctx, s: PrivateSession): number {
  return s.startedAt + s.paidMinutes * ctx.tuning.minuteMs + ctx.tuning.voucherGraceMs;
}

function watchPayments(ctx: Ctx, id: string, delayMs: number): void {
  ctx.timers.set(`privpay:${id}`, Math.max(0, delayMs), async () => {
    const s = await ctx.store.getPrivate(id);
    if (!s || s.state !== 'active') return;
    const remaining = voucherDeadline(ctx, s) - Date.now();
    if (remaining > 0) return watchPayments(ctx, id, remaining);
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

export function privateHandlers(ctx: Ctx): Handlers {
  return {
    'private:request': {
      access: 'client',
      async handle(socket, p) {
        const client = socket.data.key;
        if (p.model === client) fail('BAD_REQUEST', 'model: cannot request yourself');
        const presence = await ctx.store.getPresence(p.model);
        if (!presence) fail('NOT_FOUND', 'this model is offline');
        if (presence.status === 'private') fail('CONFLICT', 'this model is in a private show');
        if (await ctx.store.isBanned(p.model, client)) fail('BANNED', 'the model has banned you');
        const settings = await ctx.store.getSettings(p.model);
        const price = BigInt(settings.pricePerMinute);
        if (price === 0n) fail('CONFLICT', 'this model has not set a private price');
        if (BigInt(p.pricePerMinute) !== price) fail('CONFLICT', `the price is now ${settings.pricePerMinute} per minute`);
        if (p.minMinutes < settings.minMinutes) fail('BAD_REQUEST', `minMinutes: at least ${settings.minMinutes}`);
        await checkChannelCovers(ctx, client, p.model, p.channelId, price * BigInt(p.minMinutes));
        const now = Date.now();
        const session: PrivateSession = {
          id: newId(), client, clientPseudonym: socket.data.pseudonym, model: p.model, modelPseudonym: presence.pseudonym,
          pricePerMinute: settings.pricePerMinute, minMinutes: p.minMinutes, channelId: p.channelId.toLowerCase(),
          state: 'requested', createdAt: now, startedAt: 0, baseline: '0', paidMinutes: 0,
        };
        const timeout = ctx.tuning.privateRequestTimeoutMs;
        if (!(await ctx.store.claimPendingRequest(client, p.model, session.id, timeout + 5_000))) {
          fail('CONFLICT', 'you already have a pending request to this model');
        }
        await ctx.store.putPrivate(session, timeout + 60_000);
        ctx.io.to(rooms.identity(p.model)).emit('private:request', {
          sessionId: session.id, client: { key: client, pseudonym: session.clientPseudonym },
          pricePerMinute: session.pricePerMinute, minMinutes: session.minMinutes, channelId: session.channelId, expiresAt: now + timeout,
        });
        ctx.timers.set(`privreq:${session.id}`, timeout, async () => {
          const s = await ctx.store.getPrivate(session.id);
          if (s?.state === 'requested' && await ctx.store.claimPrivateTransition(session.id, 'answer', 60_000)) {
            await endPrivate(ctx, session.id, 'timeout');
          }
        });
        return { sessionId: session.id, timeoutSeconds: Math.round(timeout / 1000) };
      },
    },
    'private:accept': {
      access: 'model',
      async handle(socket, p) {
        const s = await sessionFor(ctx, socket, p.sessionId);
        if (s.model !== socket.data.key) fail('FORBIDDEN', 'only the requested model may accept');
        if (s.state !== 'requested') fail('CONFLICT', 'this request was already answered');
        // The timeout timer lives on the client's process; if that process died, the deadline still holds.
        if (Date.now() > s.createdAt + ctx.tuning.privateRequestTimeoutMs) fail('CONFLICT', 'this request has expired');
        if (ctx.config.TURN_URLS.length === 0 || !ctx.config.TURN_SECRET) fail('TURN_UNAVAILABLE', 'no TURN server is configured');
        const presence = await ctx.store.getPresence(s.model);
        if (presence?.status === 'private') fail('CONFLICT', 'end your current private show first');
        if (!(await ctx.store.claimPrivateTransition(s.id, 'answer', 60_000))) fail('CONFLICT', 'this request was already answered');
        ctx.timers.cancel(`privreq:${s.id}`);
        let owed: bigint;
        try {
          ({ owed } = await checkChannelCovers(ctx, s.client, s.model, s.channelId, BigInt(s.pricePerMinute) * BigInt(s.minMinutes)));
        } catch (err) {
          await endPrivate(ctx, s.id, 'declined');
          throw err;
        }
        const active: PrivateSession = { ...s, state: 'active', startedAt: Date.now(), baseline: owed.toString(), paidMinutes: 0 };
        await ctx.store.putPrivate(active, ACTIVE_TTL_MS);
        await ctx.store.clearPendingRequest(s.client, s.model);
        if (presence?.showId) await endShow(ctx, presence.showId, 'ended');
        await setStatus(ctx, s.model, s.modelPseudonym, 'private', null);
        const { TURN_URLS: urls, TURN_SECRET: secret, TURN_TTL_SECONDS: ttl } = ctx.config;
        const metering = {
          startedAt: active.startedAt, baseline: active.baseline, minuteMs: ctx.tuning.minuteMs, graceMs: ctx.tuning.voucherGraceMs,
          pricePerMinute: active.pricePerMinute, minMinutes: active.minMinutes, channelId: active.channelId, direct: false,
        };
        ctx.io.to(rooms.identity(s.client)).emit('private:accepted', {
          sessionId: s.id, turn: turnCredentials(urls, secret!, ttl), model: { key: s.model, pseudonym: s.modelPseudonym }, ...metering,
        });
        watchPayments(ctx, s.id, ctx.tuning.voucherGraceMs);
        ctx.metrics.privateSessions.inc({ outcome: 'accepted' });
        ctx.logger.info({ sessionId: s.id, model: s.modelPseudonym }, 'private session started');
        return { sessionId: s.id, turn: turnCredentials(urls, secret!, ttl), client: { key: s.client, pseudonym: s.clientPseudonym }, ...metering };
      },
    },
    'private:decline': {
      access: 'model',
      async handle(socket, p) {
        const s = await sessionFor(ctx, socket, p.sessionId);
        if (s.model !== socket.data.key) fail('FORBIDDEN', 'only the requested model may decline');
        if (s.state !== 'requested' || !(await ctx.store.claimPrivateTransition(s.id, 'answer', 60_000))) {
          fail('CONFLICT', 'this request was already answered');
        }
        await endPrivate(ctx, s.id, 'declined');
        return {};
      },
    },
    'private:signal': {
      access: 'any',
      async handle(socket, p) {
        const s = await sessionFor(ctx, socket, p.sessionId);
        if (s.state !== 'active') fail('CONFLICT', 'the session is not active');
        const from = socket.data.key;
        if (p.description && p.description.type !== (from === s.client ? 'offer' : 'answer')) {
          fail('BAD_REQUEST', `description.type: the ${from === s.client ? 'client offers' : 'model answers'}`);
        }
        if (p.fingerprint) {
          // Each peer checks the other's statement anyway; refusing a bad one here names the culprit early.
          try {
            await verifyFingerprint({ v: 1, sessionId: s.id, fingerprint: p.fingerprint.fingerprint, ownKey: from, peerKey: peerOf(s, from), signature: p.fingerprint.signature });
          } catch (err) {
            if (isPlatformError(err)) fail('BAD_REQUEST', `fingerprint: ${err.message}`);
            throw err;
          }
        }
        ctx.io.to(rooms.identity(peerOf(s, from))).emit('private:signal', {
          sessionId: s.id, from,
          ...(p.description ? { description: p.description } : {}),
          ...(p.candidate ? { candidate: p.candidate } : {}),
          ...(p.fingerprint ? { fingerprint: p.fingerprint } : {}),
        });
        return { relayed: true };
      },
    },
    'private:voucher': {
      access: 'client',
      async handle(socket, p) {
        const s = await sessionFor(ctx, socket, p.sessionId);
        if (s.client !== socket.data.key) fail('FORBIDDEN', 'only the client pays');
        if (s.state !== 'active') fail('CONFLICT', 'the session is not active');
        if (p.voucher.channelId.toLowerCase() !== s.channelId) fail('VOUCHER_INVALID', 'voucher is for another channel');
        const { cumulative } = await acceptVoucher(ctx, p.voucher, s.client, s.model);
        const paidMinutes = Number((cumulative - BigInt(s.baseline)) / BigInt(s.pricePerMinute));
        // Re-read: another voucher may have been recorded meanwhile; minutes only grow.
        const current = await ctx.store.getPrivate(s.id);
        if (!current || current.state !== 'active') fail('CONFLICT', 'the session has ended');
        const updated = { ...current, paidMinutes: Math.max(current.paidMinutes, paidMinutes) };
        await ctx.store.putPrivate(updated, ACTIVE_TTL_MS);
        const paidUntil = updated.startedAt + updated.paidMinutes * ctx.tuning.minuteMs;
        ctx.io.to(rooms.identity(s.model)).emit('private:voucher', { sessionId: s.id, voucher: p.voucher, paidMinutes: updated.paidMinutes, paidUntil });
        return { paidMinutes: updated.paidMinutes, paidUntil };
      },
    },
    'private:end': {
      access: 'any',
      async handle(socket, p) {
        const s = await sessionFor(ctx, socket, p.sessionId);
        await endPrivate(ctx, s.id, 'ended', socket.data.key);
        return {};
      },
    },
  };
}

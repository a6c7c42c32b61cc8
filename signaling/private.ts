/**
 * Private-show handshake, server side: request (price, minimum minutes, the client's direct opt-in) → accept /
 * decline / timeout, with an on-chain check that the client's channel covers the minimum; per-session TURN
 * credentials; relay of offer, answer, ICE and signed DTLS fingerprints, with every address that is not the TURN
 * server's removed unless both sides opted in to a direct call (candidates.ts); per-minute vouchers and tips,
 * metered by contracts/metering.ts (private-meter.ts) and relayed to the model; the end of the session
 * (private-lifecycle.ts).
 *
 * One-time transitions (answer, end) are claimed atomically; the session record is rewritten only by compare and
 * set, so vouchers handled by two processes at once are both counted or one is refused, never lost.
 */
import { fingerprintsEqual, normalizeFingerprint, verifyFingerprint } from '../crypto/fingerprint.ts';
import { parseSignedVoucher } from '../contracts/voucher.ts';
import type { MeterDecision } from '../contracts/metering.ts';
import { rooms, type AuthedSock, type Ctx, type Handlers } from './context.ts';
import { asWireError, fail } from './errors.ts';
import type { PrivateSession } from './store.ts';
import { newId } from './shows.ts';
import { turnCredentials } from './turn.ts';
import { acceptVoucher, checkChannelCovers, payments, walletsOf } from './payments.ts';
import { endShow, setStatus } from './presence.ts';
import { refuseHidden } from './regions.ts';
import { candidateToRelay, sdpFingerprints, sdpToRelay } from './candidates.ts';
import { asActive, asCall, effectiveTime, isLate, meterFor, type ActiveCall, type PrivateCall } from './private-meter.ts';
import { ACTIVE_TTL_MS, endPrivate, peerGone, resumePrivateCalls, watchPayments } from './private-lifecycle.ts';

export { endPrivate, peerGone, resumePrivateCalls };

async function sessionFor(ctx: Ctx, socket: AuthedSock, id: string): Promise<PrivateSession> {
  const s = await ctx.store.getPrivate(id);
  const key = socket.data.key;
  if (!s || (s.client !== key && s.model !== key)) fail('NOT_FOUND', 'no such private session');
  return s;
}

function peerOf(s: PrivateSession, key: string): string {
  return s.client === key ? s.model : s.client;
}

function requireTurn(ctx: Ctx): { urls: string[]; secret: string; ttl: number } {
  const { TURN_URLS: urls, TURN_SECRET: secret, TURN_TTL_SECONDS: ttl } = ctx.config;
  if (urls.length === 0 || !secret) fail('TURN_UNAVAILABLE', 'no TURN server is configured: private shows are off on this server');
  return { urls, secret, ttl };
}

/** Checks the sender's signed fingerprint statement and, with a description, that it is the SDP's `a=fingerprint`. */
async function checkFingerprint(s: PrivateSession, from: string, fp: { fingerprint: string; signature: string }, sdp: string | undefined): Promise<void> {
  // Each peer checks the other's statement anyway; refusing a bad one here names the culprit early.
  const signed = await asWireError('BAD_REQUEST', 'fingerprint', () => verifyFingerprint(
    { v: 1, sessionId: s.id, fingerprint: fp.fingerprint, ownKey: from, peerKey: peerOf(s, from), signature: fp.signature },
    { sessionId: s.id, signerKey: from, myKey: peerOf(s, from) },
  ));
  if (sdp === undefined) return;
  const inSdp = sdpFingerprints(sdp);
  if (inSdp.length === 0) fail('BAD_REQUEST', 'description: the SDP has no a=fingerprint');
  await asWireError('BAD_REQUEST', 'description', () => inSdp.forEach((f) => normalizeFingerprint(f)));
  if (!inSdp.every((f) => fingerprintsEqual(f, signed.fingerprint))) {
    fail('BAD_REQUEST', 'description: the SDP\'s a=fingerprint is not the signed fingerprint');
  }
}

/** Refuses a voucher the meter refused; a late one ends the session first. */
async function refuse(ctx: Ctx, call: ActiveCall, decision: MeterDecision & { action: 'end' }): Promise<never> {
  if (isLate(decision)) {
    await endPrivate(ctx, call.id, 'voucher_late');
    fail('CONFLICT', `the session has ended: ${decision.error.message}`);
  }
  fail('VOUCHER_INVALID', decision.error.message, decision.error);
}

export function privateHandlers(ctx: Ctx): Handlers {
  // A process starting while calls are active (Redis store) takes over their timers.
  ctx.track(resumePrivateCalls(ctx).catch((err: unknown) => ctx.logger.error({ err }, 're-arming private sessions failed')));
  return {
    'private:request': {
      access: 'client',
      async handle(socket, p) {
        const client = socket.data.key;
        if (p.model === client) fail('BAD_REQUEST', 'model: cannot request yourself');
        await refuseHidden(ctx, p.model, socket.data, 'private request');
        // Said at once: without TURN no call can connect, so the model is never even asked.
        requireTurn(ctx);
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
        const session: PrivateCall = {
          id: newId(), client, clientPseudonym: socket.data.pseudonym, model: p.model, modelPseudonym: presence.pseudonym,
          pricePerMinute: settings.pricePerMinute, minMinutes: p.minMinutes, channelId: p.channelId.toLowerCase(),
          state: 'requested', createdAt: now, startedAt: 0, baseline: '0', paidMinutes: 0,
          direct: p.direct === true, meter: null,
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
        const s = asCall(await sessionFor(ctx, socket, p.sessionId));
        if (s.model !== socket.data.key) fail('FORBIDDEN', 'only the requested model may accept');
        if (s.state !== 'requested') fail('CONFLICT', 'this request was already answered');
        // The timeout timer lives on the client's process; if that process died, the deadline still holds.
        if (Date.now() > s.createdAt + ctx.tuning.privateRequestTimeoutMs) fail('CONFLICT', 'this request has expired');
        const turn = requireTurn(ctx);
        const presence = await ctx.store.getPresence(s.model);
        if (presence?.status === 'private') fail('CONFLICT', 'end your current private show first');
        if (!(await ctx.store.claimPrivateTransition(s.id, 'answer', 60_000))) fail('CONFLICT', 'this request was already answered');
        ctx.timers.cancel(`privreq:${s.id}`);
        let covered: Awaited<ReturnType<typeof checkChannelCovers>>;
        let wallets: Awaited<ReturnType<typeof walletsOf>>;
        try {
          covered = await checkChannelCovers(ctx, s.client, s.model, s.channelId, BigInt(s.pricePerMinute) * BigInt(s.minMinutes));
          wallets = await walletsOf(ctx, s.client, s.model);
        } catch (err) {
          await endPrivate(ctx, s.id, 'declined');
          throw err;
        }
        const active: ActiveCall = {
          ...s, state: 'active', startedAt: Date.now(), baseline: covered.owed.toString(), paidMinutes: 0,
          direct: s.direct && p.direct === true,
          meter: {
            sender: wallets.payer, receiver: wallets.model, deposit: covered.channel.deposit.toString(), tips: '0',
            minuteMs: ctx.tuning.minuteMs, graceMs: ctx.tuning.voucherGraceMs, last: null, resumeUntil: 0,
          },
        };
        // Fails early (a bad grace/minute pair) before anyone is told the call started.
        const standing = meterFor(ctx, active).check(active.startedAt);
        await ctx.store.putPrivate(active, ACTIVE_TTL_MS);
        await ctx.store.addActivePrivate(active.id, ACTIVE_TTL_MS);
        await ctx.store.clearPendingRequest(s.client, s.model);
        if (presence?.showId) await endShow(ctx, presence.showId, 'ended');
        await setStatus(ctx, s.model, s.modelPseudonym, 'private', null);
        const terms = {
          startedAt: active.startedAt, baseline: active.baseline, minuteMs: active.meter.minuteMs, graceMs: active.meter.graceMs,
          pricePerMinute: active.pricePerMinute, minMinutes: active.minMinutes, channelId: active.channelId, direct: active.direct,
        };
        ctx.io.to(rooms.identity(s.client)).emit('private:accepted', {
          sessionId: s.id, turn: turnCredentials(turn.urls, turn.secret, turn.ttl), model: { key: s.model, pseudonym: s.modelPseudonym }, ...terms,
        });
        if (standing.action === 'continue') watchPayments(ctx, s.id, standing.deadline - active.startedAt + 1);
        ctx.metrics.privateSessions.inc({ outcome: 'accepted' });
        // Never the client next to the model: logs must not link the two.
        ctx.logger.info({ sessionId: s.id, model: s.modelPseudonym, direct: active.direct }, 'private session started');
        return { sessionId: s.id, turn: turnCredentials(turn.urls, turn.secret, turn.ttl), client: { key: s.client, pseudonym: s.clientPseudonym }, ...terms };
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
        const s = asCall(await sessionFor(ctx, socket, p.sessionId));
        if (s.state !== 'active') fail('CONFLICT', 'the session is not active');
        const from = socket.data.key;
        // The client offers, the model answers; an ICE restart is one more such pair in the same session.
        if (p.description && p.description.type !== (from === s.client ? 'offer' : 'answer')) {
          fail('BAD_REQUEST', `description.type: the ${from === s.client ? 'client offers' : 'model answers'}`);
        }
        if (p.fingerprint) await checkFingerprint(s, from, p.fingerprint, p.description?.sdp);
        const description = p.description ? { type: p.description.type, sdp: sdpToRelay(p.description.sdp, s.direct).sdp } : undefined;
        const candidateText = p.candidate ? candidateToRelay(p.candidate.candidate, s.direct) : null;
        const candidate = p.candidate && candidateText !== null ? { ...p.candidate, candidate: candidateText } : undefined;
        if (description || candidate || p.fingerprint) {
          ctx.io.to(rooms.identity(peerOf(s, from))).emit('private:signal', {
            sessionId: s.id, from,
            ...(description ? { description } : {}),
            ...(candidate ? { candidate } : {}),
            ...(p.fingerprint ? { fingerprint: p.fingerprint } : {}),
          });
        }
        return { relayed: p.candidate ? candidate !== undefined : true };
      },
    },
    'private:voucher': {
      access: 'client',
      async handle(socket, p) {
        const s = await sessionFor(ctx, socket, p.sessionId);
        if (s.client !== socket.data.key) fail('FORBIDDEN', 'only the client pays');
        const call = asActive(s);
        if (!call) fail('CONFLICT', 'the session is not active');
        const voucher = await asWireError('VOUCHER_INVALID', 'voucher', () => parseSignedVoucher(p.voucher));
        const tip = BigInt(p.tip ?? '0');
        const now = Date.now();
        let meter = meterFor(ctx, call);
        if (voucher.cumulativeAmount <= meter.highest) fail('VOUCHER_INVALID', `voucher amount is not above the last one (${meter.highest})`);
        const at = effectiveTime(call, meter, now);
        let decision = meter.accept(voucher, at, { tip });
        let deposit = BigInt(call.meter.deposit);
        if (decision.action === 'end' && decision.error.code === 'PAYMENT_VOUCHER_OVER_DEPOSIT') {
          // Over the deposit we knew: maybe the client topped up during the call.
          const channel = await payments(ctx).channel(call.meter.sender, call.meter.receiver);
          if (channel.deposit > deposit) {
            deposit = channel.deposit;
            meter = meterFor(ctx, call, deposit);
            decision = meter.accept(voucher, at, { tip });
          }
        }
        if (decision.action === 'end') return refuse(ctx, call, decision);
        // The rules of all money through signaling: on-chain state, and never above a voucher seen before on this
        // channel, except this session's own voucher sent again after a delivery that stopped half-way (the meter
        // above already refused one it counted).
        await acceptVoucher(ctx, p.voucher, s.client, s.model, { finishHalfDone: true });
        const replayed: { decision: MeterDecision } = { decision };
        const written = await ctx.store.updatePrivate(s.id, (current) => {
          const c = asActive(current);
          if (!c) return null;
          const m = meterFor(ctx, c, deposit > BigInt(c.meter.deposit) ? deposit : BigInt(c.meter.deposit));
          replayed.decision = m.accept(voucher, effectiveTime(c, m, now), { tip, trusted: true });
          if (replayed.decision.action === 'end') return null;
          return { ...c, paidMinutes: m.paidMinutes, meter: { ...c.meter, deposit: m.deposit.toString(), tips: m.tips.toString(), last: p.voucher } };
        });
        if (!written) {
          if (replayed.decision.action === 'end') return refuse(ctx, call, replayed.decision);
          fail('CONFLICT', 'the session has ended');
        }
        const recorded = asActive(written);
        if (!recorded) fail('CONFLICT', 'the session has ended');
        // The voucher counted as on time inside a resume window; whether it covers the present is asked now.
        const standing = meterFor(ctx, recorded).check(now);
        if (standing.action === 'end') return refuse(ctx, recorded, standing);
        watchPayments(ctx, s.id, standing.deadline - now + 1);
        ctx.io.to(rooms.identity(s.model)).emit('private:voucher', {
          sessionId: s.id, voucher: p.voucher, paidMinutes: standing.paidMinutes, paidUntil: standing.paidUntil,
          ...(tip > 0n ? { tip: tip.toString() } : {}),
        });
        return { paidMinutes: standing.paidMinutes, paidUntil: standing.paidUntil };
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

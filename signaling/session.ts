/** Login, resume, logout and wallet binding; what a socket carries once logged in. */
import { verifyWalletBinding } from '../contracts/wallet-binding.ts';
import { isAuthed, rooms, type Ctx, type Handlers, type Sock } from './context.ts';
import { asWireError, fail } from './errors.ts';
import type { Role } from './protocol.ts';
import type { Session } from './auth.ts';
import { cancelModelGrace, setStatus } from './presence.ts';
import { joinShow } from './shows.ts';

/** Binds a session to a socket and restores the identity's rooms. */
async function attach(ctx: Ctx, socket: Sock, s: Session, role: Role): Promise<{ showIds: string[]; privateSessionIds: string[] }> {
  if (socket.data.key && (socket.data.key !== s.key || socket.data.role !== role)) {
    fail('CONFLICT', 'this connection is already logged in (as someone else or in another role)');
  }
  socket.data.key = s.key;
  socket.data.pseudonym = s.pseudonym;
  socket.data.role = role;
  socket.data.expiresAt = s.expiresAt;
  socket.data.sessionId = s.sessionId;
  if (!isAuthed(socket)) fail('INTERNAL', 'session fields were just set');
  await socket.join([rooms.identity(s.key), rooms.session(s.sessionId)]);
  const showIds: string[] = [];
  if (role === 'model') {
    let sockets = ctx.localModels.get(s.key);
    if (!sockets) ctx.localModels.set(s.key, (sockets = new Set()));
    sockets.add(socket.id);
    cancelModelGrace(ctx, s.key);
    const presence = await ctx.store.getPresence(s.key);
    if (presence?.showId && await ctx.store.getShow(presence.showId)) {
      // The model came back within the grace period: its show goes on, run from here.
      ctx.localShows.set(presence.showId, s.key);
      await socket.join(rooms.show(presence.showId));
      showIds.push(presence.showId);
      await ctx.store.refreshPresence(s.key, ctx.tuning.presenceTtlMs);
    } else if (!presence) {
      await setStatus(ctx, s.key, s.pseudonym, 'online', null);
    } else {
      await ctx.store.refreshPresence(s.key, ctx.tuning.presenceTtlMs);
    }
  }
  for (const showId of await ctx.store.watching(s.key)) {
    const show = await ctx.store.getShow(showId);
    if (!show) {
      await ctx.store.removeWatching(s.key, showId);
      continue;
    }
    try {
      await joinShow(ctx, socket, showId, show.model);
      showIds.push(showId);
    } catch {
      await ctx.store.removeWatching(s.key, showId); // banned meanwhile
    }
  }
  const privateSessionIds: string[] = [];
  for (const id of await ctx.store.privateSessionsOf(s.key)) {
    const session = await ctx.store.getPrivate(id);
    if (session && session.state !== 'ended') {
      privateSessionIds.push(id);
      ctx.timers.cancel(`peer:${id}:${s.key}`); // private.ts peerGone's grace: the peer is back
    }
  }
  ctx.logger.info({ who: s.pseudonym, role }, 'session attached');
  return { showIds, privateSessionIds };
}

export function sessionHandlers(ctx: Ctx): Handlers {
  return {
    'session:challenge': {
      access: 'none',
      async handle(socket) {
        socket.data.audience = ctx.auth.audienceFor(socket.handshake.headers.origin);
        return { challenge: JSON.stringify(await ctx.auth.challenge(socket.data.audience)) };
      },
    },
    'session:login': {
      access: 'none',
      async handle(socket, p) {
        const audience = socket.data.audience ?? ctx.auth.audienceFor(socket.handshake.headers.origin);
        const s = await ctx.auth.login(p.publicKey, p.challenge, p.signature, audience, p.role);
        await attach(ctx, socket, s, p.role);
        return { token: s.token, key: s.key, pseudonym: s.pseudonym, role: p.role, expiresAt: s.expiresAt };
      },
    },
    'session:resume': {
      access: 'none',
      async handle(socket, p) {
        const s = await ctx.auth.resume(p.token, p.role);
        const restored = await attach(ctx, socket, s, s.role);
        return { token: s.token, key: s.key, pseudonym: s.pseudonym, role: s.role, expiresAt: s.expiresAt, ...restored };
      },
    },
    'session:logout': {
      access: 'any',
      async handle(socket) {
        // Revoked first, so no socket can resume the token; then everything a disconnect does, on every
        // socket of this session (any process), after the ack has gone out.
        const sessionId = socket.data.sessionId;
        await ctx.auth.revoke(sessionId);
        setImmediate(() => ctx.io.in(rooms.session(sessionId)).disconnectSockets(true));
        return {};
      },
    },
    'wallet:bind': {
      access: 'any',
      async handle(socket, p) {
        const key = socket.data.key;
        const { address } = await asWireError('BAD_REQUEST', '', () => verifyWalletBinding({ v: 1, identityKey: key, ...p }));
        await ctx.store.setWalletBinding(key, { address, walletSignature: p.walletSignature, identitySignature: p.identitySignature });
        ctx.rating?.forget(key);
        return { address };
      },
    },
  };
}

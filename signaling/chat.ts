/**
 * Public-show chat: plain text with a length limit, a per-identity rate limit,
 * slow mode, mutes and bans by the model (tips: tips.ts). Nothing is stored:
 * a message exists only in flight.
 */
import { rooms, type AuthedSock, type Ctx, type Handlers, type Sock } from './context.ts';
import { fail } from './errors.ts';
import type { ChatMessage } from './protocol.ts';
import { newId } from './shows.ts';
import { acceptVoucher } from './payments.ts';
import { viewerSubject } from './viewer-subject.ts';

/**
 * How long a banned viewer's own page has to leave the show's media after `show:ended` (it DELETEs its WHEP
 * session) before the SFU cuts whatever is left: a modified player that ignores the ban gets no more video.
 */
export const BAN_EVICT_AFTER_MS = 1500;

// C0/C1 controls except tab and newline, bidi overrides and isolates (used to disguise text).
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Normalizes chat text; throws BAD_REQUEST when nothing printable is left. */
export function cleanText(text: string): string {
  const cleaned = text.normalize('NFC').replace(UNSAFE, '').replace(/\n{3,}/g, '\n\n').trim();
  if (cleaned === '') fail('BAD_REQUEST', 'text: empty message');
  return cleaned;
}

/** The show a socket may chat (or tip) in: it exists, the sender is not banned, and watches it (or is its model). */
export async function showOf(ctx: Ctx, socket: AuthedSock, showId: string): Promise<{ model: string; slowModeSeconds: number }> {
  const show = await ctx.store.getShow(showId);
  if (!show) fail('NOT_FOUND', 'no such show');
  const isModel = show.model === socket.data.key;
  if (!isModel && await ctx.store.isBanned(show.model, socket.data.key)) fail('BANNED', 'the model has banned you');
  if (!isModel && !socket.data.shows.has(showId)) fail('FORBIDDEN', 'watch the show before chatting');
  return show;
}

async function ownShow(ctx: Ctx, socket: Sock, showId: string): Promise<void> {
  const show = await ctx.store.getShow(showId);
  if (!show) fail('NOT_FOUND', 'no such show');
  if (show.model !== socket.data.key) fail('FORBIDDEN', 'only the model of the show may do this');
}

export function chatHandlers(ctx: Ctx): Handlers {
  return {
    'chat:send': {
      access: 'any',
      async handle(socket, p) {
        const key = socket.data.key;
        const show = await showOf(ctx, socket, p.showId);
        const isModel = show.model === key;
        if (!isModel) {
          const muted = await ctx.store.mutedFor(p.showId, key);
          if (muted > 0) fail('MUTED', `muted for ${Math.ceil(muted / 1000)} s`);
        }
        const text = cleanText(p.text);
        try {
          await ctx.limiters.chat.consume(key);
        } catch (err) {
          if (err instanceof Error) throw err; // store failure, not a limit
          ctx.metrics.rateLimited.inc({ limit: 'chat' });
          fail('RATE_LIMITED', 'too many messages; slow down');
        }
        if (!isModel && show.slowModeSeconds > 0 && !(await ctx.store.claimSlowModeSlot(p.showId, key, show.slowModeSeconds))) {
          fail('SLOW_MODE', `slow mode: one message every ${show.slowModeSeconds} s`);
        }
        const message: ChatMessage = { showId: p.showId, id: newId(), from: { key, pseudonym: socket.data.pseudonym }, kind: 'text', text, at: Date.now() };
        ctx.io.to(rooms.show(p.showId)).emit('chat:message', message);
        ctx.metrics.chatMessages.inc({ kind: 'text' });
        return { id: message.id };
      },
    },
    'chat:mute': {
      access: 'model',
      async handle(socket, p) {
        await ownShow(ctx, socket, p.showId);
        const until = Date.now() + p.seconds * 1000;
        await ctx.store.mute(p.showId, p.target, p.seconds * 1000);
        ctx.io.to(rooms.identity(p.target)).to(rooms.identity(socket.data.key))
          .emit('chat:moderated', { showId: p.showId, action: 'muted', target: p.target, until });
        return {};
      },
    },
    'chat:ban': {
      access: 'model',
      async handle(socket, p) {
        const model = socket.data.key;
        if (p.target === model) fail('BAD_REQUEST', 'target: cannot ban yourself');
        await ctx.store.ban(model, p.target);
        const presence = await ctx.store.getPresence(model);
        const showId = presence?.showId ?? null;
        ctx.io.to(rooms.identity(p.target)).to(rooms.identity(model))
          .emit('chat:moderated', { showId, action: 'banned', target: p.target });
        if (showId) {
          // Out of the room on every process, and off the resume list.
          ctx.io.to(rooms.identity(p.target)).emit('show:ended', { showId, reason: 'banned' });
          ctx.io.in(rooms.identity(p.target)).socketsLeave(rooms.show(showId));
          for (const s of await ctx.io.in(rooms.identity(p.target)).local.fetchSockets()) s.data.shows.delete(showId);
          await ctx.store.removeWatching(p.target, showId);
          const sub = await viewerSubject(ctx.config.SESSION_SECRET, showId, p.target);
          const sfu = ctx.sfu;
          if (sfu?.evictViewer) {
            ctx.timers.set(`evict:${showId}:${sub}`, BAN_EVICT_AFTER_MS, () => sfu.evictViewer!(showId, sub)
              .catch((err: unknown) => ctx.logger.warn({ err, showId }, 'sfu evictViewer failed')));
          }
        }
        ctx.logger.info({ model: socket.data.pseudonym }, 'ban');
        return {};
      },
    },
    'chat:unban': {
      access: 'model',
      async handle(socket, p) {
        await ctx.store.unban(socket.data.key, p.target);
        const showId = (await ctx.store.getPresence(socket.data.key))?.showId;
        if (showId) {
          const sub = await viewerSubject(ctx.config.SESSION_SECRET, showId, p.target);
          ctx.timers.cancel(`evict:${showId}:${sub}`);
          await ctx.sfu?.readmitViewer?.(showId, sub).catch((err: unknown) => ctx.logger.warn({ err, showId }, 'sfu readmitViewer failed'));
        }
        ctx.io.to(rooms.identity(p.target)).to(rooms.identity(socket.data.key))
          .emit('chat:moderated', { showId: null, action: 'unbanned', target: p.target });
        return {};
      },
    },
    'chat:slowMode': {
      access: 'model',
      async handle(socket, p) {
        await ownShow(ctx, socket, p.showId);
        await ctx.store.setSlowMode(p.showId, p.seconds);
        ctx.io.to(rooms.show(p.showId)).emit('chat:slowMode', { showId: p.showId, seconds: p.seconds });
        return {};
      },
    },
  };
}

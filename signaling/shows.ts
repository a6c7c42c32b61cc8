/** Directory, prices and public shows: open, close, watch, leave. */
import { randomBytes } from 'node:crypto';
import { mintSfuToken } from '../sfu/tokens.ts';
import { rooms, type AuthedSock, type Ctx, type Handlers } from './context.ts';
import { fail } from './errors.ts';
import { whepPath, whipPath } from './protocol.ts';
import { placeShow, placeViewer, type SfuHost } from './sfu-hosts.ts';
import { endShow, pushEntry, setStatus } from './presence.ts';
import { requireAdult } from './age.ts';
import { refuseHidden, visibleFrom } from './regions.ts';
import { viewerSubject } from './viewer-subject.ts';

export const newId = (): string => randomBytes(12).toString('base64url');

function identity(socket: AuthedSock): { key: string; pseudonym: string } {
  return { key: socket.data.key, pseudonym: socket.data.pseudonym };
}

/** Removes a socket from a show it watches (and the show from the identity's resume list when it was its last socket here). */
export async function leaveShow(ctx: Ctx, socket: AuthedSock, showId: string): Promise<void> {
  if (!socket.data.shows.delete(showId)) return;
  await socket.leave(rooms.show(showId));
  const key = socket.data.key;
  const stillHere = [...(await ctx.io.in(rooms.identity(key)).local.fetchSockets())]
    .some((s) => s.id !== socket.id && s.data.shows.has(showId));
  if (stillHere) return;
  await ctx.store.removeWatching(key, showId);
}

/**
 * Adds a socket to a show's room as a viewer (checks the hidden countries and the ban list). The viewer
 * count is the SFU's (signaling/follow-sfu.ts): it moves when media does.
 */
export async function joinShow(ctx: Ctx, socket: AuthedSock, showId: string, model: string): Promise<void> {
  const key = socket.data.key;
  await refuseHidden(ctx, model, socket.data, 'watch'); // also on resume: the model may have hidden since
  if (await ctx.store.isBanned(model, key)) fail('BANNED', 'the model has banned you');
  await socket.join(rooms.show(showId));
  socket.data.shows.add(showId);
  // Kept for resume as long as a session may last; stale entries are dropped on resume.
  await ctx.store.addWatching(key, showId, ctx.tuning.sessionTtlSeconds * 1000);
}

/**
 * The SFU host an opening show publishes to: its current host while that one is alive and not draining (a
 * re-open after a media reconnect stays put), else the least-loaded host; the record follows a move.
 */
async function hostForShow(ctx: Ctx, showId: string, current: string | null): Promise<SfuHost> {
  const hosts = await ctx.sfuHosts.list();
  const kept = current === null ? undefined : hosts.find((h) => h.id === current && !h.draining);
  const host = kept ?? placeShow(hosts);
  if (!host) fail('SFU_UNAVAILABLE', 'no media server is available: try again in a moment');
  if (current !== null && host.id !== current) await ctx.store.setShowHost(showId, host.id);
  return host;
}

export function showHandlers(ctx: Ctx): Handlers {
  return {
    'directory:subscribe': {
      access: 'none',
      async handle(socket) {
        const country = socket.data.country;
        await socket.join(country ? [rooms.directory, rooms.directoryFrom(country)] : rooms.directory);
        socket.data.subscribed = true;
        const models = await visibleFrom(ctx, await ctx.store.listOnline(), socket.data);
        return { models: ctx.rating ? await ctx.rating.order(models) : models };
      },
    },
    'directory:unsubscribe': {
      access: 'none',
      async handle(socket) {
        await socket.leave(rooms.directory);
        if (socket.data.country) await socket.leave(rooms.directoryFrom(socket.data.country));
        socket.data.subscribed = false;
        return {};
      },
    },
    'model:setPrice': {
      access: 'model',
      async handle(socket, p) {
        const { key, pseudonym } = identity(socket);
        await ctx.store.setSettings(key, { pricePerMinute: p.pricePerMinute, minMinutes: p.minMinutes });
        return { entry: await pushEntry(ctx, key, pseudonym) };
      },
    },
    'show:open': {
      access: 'model',
      async handle(socket) {
        const { key, pseudonym } = identity(socket);
        await requireAdult(ctx, key);
        const presence = await ctx.store.getPresence(key);
        if (presence?.status === 'private') fail('CONFLICT', 'end the private show first');
        let showId = presence?.showId ?? null;
        // Opening again while a show is open re-issues the WHIP token (e.g. after a media reconnect).
        const open = showId ? await ctx.store.getShow(showId) : null;
        let host: SfuHost;
        if (!showId || !open) {
          showId = newId();
          host = await hostForShow(ctx, showId, null);
          await ctx.store.openShow({ showId, model: key, openedAt: Date.now(), slowModeSeconds: 0, host: host.id }, ctx.tuning.presenceTtlMs);
          ctx.logger.info({ showId, model: pseudonym, host: host.id }, 'show opened');
        } else {
          host = await hostForShow(ctx, showId, open.host);
        }
        ctx.localShows.set(showId, key);
        ctx.metrics.shows.set(ctx.localShows.size);
        await ctx.io.in(rooms.identity(key)).socketsJoin(rooms.show(showId));
        // `public` only once the SFU has the publisher's media (signaling/follow-sfu.ts); until then `online` with the show open.
        const mediaFlows = presence?.status === 'public' && presence.showId === showId;
        await setStatus(ctx, key, pseudonym, mediaFlows ? 'public' : 'online', showId);
        const whipToken = mintSfuToken(ctx.sfuTokenKey, { kind: 'whip', showId, sub: key, ttlSeconds: ctx.tuning.sfuTokenTtlSeconds });
        return { showId, whipUrl: host.url + whipPath(showId), whipToken };
      },
    },
    'show:close': {
      access: 'model',
      async handle(socket) {
        const presence = await ctx.store.getPresence(socket.data.key);
        if (!presence?.showId) fail('NOT_FOUND', 'no open show');
        await endShow(ctx, presence.showId, 'ended');
        return {};
      },
    },
    'show:watch': {
      access: 'any',
      async handle(socket, p) {
        // Before anything about the show: from a hidden country, not even whether it runs is said.
        await refuseHidden(ctx, p.model, socket.data, 'watch');
        const presence = await ctx.store.getPresence(p.model);
        if (!presence?.showId) fail('NOT_FOUND', 'this model is not in a public show');
        if (presence.status === 'online') fail('NOT_FOUND', 'the show has not started: the model\'s video has not reached the server yet');
        if (presence.status !== 'public') fail('NOT_FOUND', 'this model is not in a public show');
        const show = await ctx.store.getShow(presence.showId);
        if (!show) fail('NOT_FOUND', 'this model is not in a public show');
        if (p.model !== socket.data.key) await joinShow(ctx, socket, show.showId, p.model);
        const model = (await ctx.store.entry(p.model, presence))!;
        // The show's host while it has room, else an edge host that pulls the show from it once (origin claim).
        const origin = await ctx.sfuHosts.get(show.host);
        const placed = placeViewer(origin, origin ? await ctx.sfuHosts.list() : []);
        if (!placed) fail('SFU_UNAVAILABLE', 'the media server of this show is gone: try again in a moment');
        // The SFU learns an opaque per-show viewer id, not the viewer's identity (viewer-subject.ts: a ban evicts it).
        const sub = await viewerSubject(ctx.config.SESSION_SECRET, show.showId, socket.data.key);
        const whepToken = mintSfuToken(ctx.sfuTokenKey, {
          kind: 'whep', showId: show.showId, sub, ttlSeconds: ctx.tuning.sfuTokenTtlSeconds,
          ...(placed.edge ? { origin: origin!.url } : {}),
        });
        return { showId: show.showId, whepUrl: placed.host.url + whepPath(show.showId), whepToken, model, slowModeSeconds: show.slowModeSeconds };
      },
    },
    'show:leave': {
      access: 'any',
      async handle(socket, p) {
        if (!socket.data.shows.has(p.showId)) fail('NOT_FOUND', 'you are not watching this show');
        await leaveShow(ctx, socket, p.showId);
        return {};
      },
    },
  };
}

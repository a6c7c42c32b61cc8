/**
 * Model presence and public-show lifecycle shared by several handlers:
 * directory pushes, ending a show, the heartbeat that keeps this process's
 * models and shows alive in the store, and the grace period after a model's
 * last socket goes away.
 */
import { rooms, type Ctx } from './context.ts';
import type { DirectoryEntry, EndReason, ModelStatus } from './protocol.ts';

/** Pushes a model's current directory entry (offline when it has no presence) to the directory, and to a show's room when named. */
export async function pushEntry(ctx: Ctx, model: string, pseudonym?: string, showId?: string | null): Promise<DirectoryEntry> {
  const entry = (await ctx.store.entry(model)) ?? {
    key: model, pseudonym: pseudonym ?? '', status: 'offline' as ModelStatus, pricePerMinute: '0', minMinutes: 1, showId: null, viewers: 0,
  };
  if (entry.status === 'offline') {
    const s = await ctx.store.getSettings(model);
    entry.pricePerMinute = s.pricePerMinute;
    entry.minMinutes = s.minMinutes;
  }
  await ctx.rating?.annotate(entry);
  const to = showId ? [rooms.directory, rooms.show(showId)] : rooms.directory;
  // Not to the countries the model hides from (regions.ts); the model itself is always told.
  const hidden = (await ctx.regions.hiddenFrom(model)).map(rooms.directoryFrom);
  if (hidden.length === 0) ctx.io.to(to).emit('directory:update', entry);
  else {
    ctx.io.to(to).except([...hidden, rooms.identity(model)]).emit('directory:update', entry);
    ctx.io.to(rooms.identity(model)).emit('directory:update', entry);
  }
  return entry;
}

/**
 * Sets a model's status, keeping its pseudonym and show, and pushes the entry; the show's room (its model and
 * viewers) gets it too, so the studio and the viewers follow the show from `online` (open, no media yet) to `public`.
 */
export async function setStatus(ctx: Ctx, model: string, pseudonym: string, status: ModelStatus, showId: string | null): Promise<void> {
  await ctx.store.setPresence(model, { status, showId, pseudonym }, ctx.tuning.presenceTtlMs);
  await pushEntry(ctx, model, pseudonym, showId);
}

/**
 * Ends a public show, the one way a show ends (why: signaling/follow-sfu.ts): tells its viewers, empties its
 * room, returns the model to `online` when connected, closes the show's media at the SFU. Idempotent: only the
 * caller that deletes the show from the store does the rest.
 */
export async function endShow(ctx: Ctx, showId: string, reason: EndReason): Promise<void> {
  const show = await ctx.store.getShow(showId);
  const existed = await ctx.store.closeShow(showId);
  ctx.localShows.delete(showId);
  ctx.metrics.shows.set(ctx.localShows.size);
  ctx.timers.cancel(`viewers:${showId}`);
  if (!existed || !show) return;
  // State first, then the news (a model told "ended" may open the next show at once).
  const presence = await ctx.store.getPresence(show.model);
  if (presence && presence.showId === showId) {
    await setStatus(ctx, show.model, presence.pseudonym, presence.status === 'public' ? 'online' : presence.status, null);
  }
  ctx.io.to(rooms.show(showId)).emit('show:ended', { showId, reason });
  ctx.io.in(rooms.show(showId)).socketsLeave(rooms.show(showId));
  // Awaited: once a show:close is answered the media is gone, so the studio may drop its connection at once.
  await ctx.sfu?.closeShow(showId).catch((err: unknown) => ctx.logger.warn({ err, showId }, 'sfu closeShow failed'));
  ctx.logger.info({ showId, model: presence?.pseudonym, reason }, 'show ended');
}

/** Coalesces viewer-count pushes of a show to one per `viewerPushMs`. */
export function scheduleViewerPush(ctx: Ctx, showId: string, model: string): void {
  const name = `viewers:${showId}`;
  if (ctx.timers.has(name)) return;
  ctx.timers.set(name, ctx.tuning.viewerPushMs, async () => {
    const viewers = await ctx.store.viewerCount(showId);
    ctx.io.to(rooms.show(showId)).emit('show:viewers', { showId, viewers });
    await pushEntry(ctx, model);
  });
}

/** True when the identity has a socket on any signaling process. */
export async function isConnectedAnywhere(ctx: Ctx, key: string): Promise<boolean> {
  try {
    const sockets = await ctx.io.in(rooms.identity(key)).fetchSockets();
    return sockets.length > 0;
  } catch {
    return true; // cannot tell (a peer process did not answer): do not end anything on a guess
  }
}

/** Called when a model's last socket on this process goes away. */
export function modelGone(ctx: Ctx, model: string, pseudonym: string): void {
  ctx.timers.set(`model:${model}`, ctx.tuning.modelGraceMs, async () => {
    if (ctx.localModels.has(model)) return;
    // Whoever runs the model now (another process after a resume, or nobody) refreshes its show.
    for (const [showId, owner] of ctx.localShows) if (owner === model) ctx.localShows.delete(showId);
    ctx.metrics.shows.set(ctx.localShows.size);
    if (await isConnectedAnywhere(ctx, model)) return;
    const presence = await ctx.store.getPresence(model);
    if (presence?.showId) await endShow(ctx, presence.showId, 'disconnected');
    await ctx.store.clearPresence(model);
    await pushEntry(ctx, model, pseudonym);
  });
}

/** Stops a model's grace period: the model came back here (or deleted its identity). */
export function cancelModelGrace(ctx: Ctx, model: string): void {
  ctx.timers.cancel(`model:${model}`);
}

/** Keeps this process's models and shows alive in the store. */
export async function heartbeat(ctx: Ctx): Promise<void> {
  for (const model of ctx.localModels.keys()) await ctx.store.refreshPresence(model, ctx.tuning.presenceTtlMs);
  for (const showId of ctx.localShows.keys()) await ctx.store.refreshShow(showId, ctx.tuning.presenceTtlMs);
}

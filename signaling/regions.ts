/**
 * A model's hidden countries (issue 16): `regions:get` and `regions:set`, and what a change does at once.
 * Directory subscribers from a newly hidden country are told the model went offline (their list drops it), those
 * from a country hidden no more get the model's entry, and viewers of the model's open show who connect from a
 * newly hidden country are sent out of it (`show:ended`, reason `region`). Watch and private requests from a hidden
 * country are refused in shows.ts and private.ts (`REGION_BLOCKED`); the directory filters in shows.ts and
 * presence.ts. The lookup is by the connection's country (geoip.ts), so a VPN defeats it: the studio says so.
 */
import { rooms, type Ctx, type Handlers } from './context.ts';
import type { DirectoryEntry } from './protocol.ts';
import { fail } from './errors.ts';

/** Refuses `what` when `model` hides from the country the socket connects from (a model always sees itself). */
export async function refuseHidden(ctx: Ctx, model: string, viewer: { key?: string; country?: string | null }, what: string): Promise<void> {
  if (viewer.key === model) return;
  if (await ctx.regions.hides(model, viewer.country, true)) fail('REGION_BLOCKED', `${what}: this model is not available where you connect from`);
}

/** The directory as a viewer sees it: without the models that hide from its country (a model always sees itself). */
export async function visibleFrom(ctx: Ctx, entries: DirectoryEntry[], viewer: { key?: string; country?: string | null }): Promise<DirectoryEntry[]> {
  if (!viewer.country) return entries;
  const out: DirectoryEntry[] = [];
  for (const e of entries) if (e.key === viewer.key || !(await ctx.regions.hides(e.key, viewer.country))) out.push(e);
  return out;
}

async function applyChange(ctx: Ctx, model: string, pseudonym: string, before: readonly string[], after: readonly string[]): Promise<void> {
  const hidden = after.filter((c) => !before.includes(c));
  const shown = before.filter((c) => !after.includes(c));
  if (hidden.length === 0 && shown.length === 0) return;
  const presence = await ctx.store.getPresence(model);
  const entry = await ctx.store.entry(model, presence);
  if (hidden.length > 0) {
    const gone: DirectoryEntry = { ...(entry ?? { key: model, pseudonym, pricePerMinute: '0', minMinutes: 1 }), status: 'offline', showId: null, viewers: 0 };
    ctx.io.to(hidden.map(rooms.directoryFrom)).except(rooms.identity(model)).emit('directory:update', gone);
  }
  if (shown.length > 0 && entry) ctx.io.to(shown.map(rooms.directoryFrom)).except(rooms.identity(model)).emit('directory:update', entry);
  const showId = presence?.showId;
  if (!showId || hidden.length === 0) return;
  for (const s of await ctx.io.in(rooms.show(showId)).fetchSockets()) {
    if (s.data.key === model || !s.data.country || !hidden.includes(s.data.country)) continue;
    s.emit('show:ended', { showId, reason: 'region' });
    s.leave(rooms.show(showId));
    if (!s.data.key) continue;
    for (const local of await ctx.io.in(rooms.identity(s.data.key)).local.fetchSockets()) {
      if (local.data.country === s.data.country) local.data.shows.delete(showId);
    }
    await ctx.store.removeWatching(s.data.key, showId);
  }
}

export function regionHandlers(ctx: Ctx): Handlers {
  return {
    'regions:get': {
      access: 'model',
      async handle(socket) {
        return { countries: [...await ctx.regions.hiddenFrom(socket.data.key, true)] };
      },
    },
    'regions:set': {
      access: 'model',
      async handle(socket, p) {
        const { key, pseudonym } = socket.data;
        const { before, after } = await ctx.regions.set(key, p.countries);
        await applyChange(ctx, key, pseudonym, before, after);
        // The count only: which countries a model hides from says where they live.
        ctx.logger.info({ model: pseudonym, countries: after.length }, 'hidden countries set');
        return { countries: [...after] };
      },
    },
  };
}

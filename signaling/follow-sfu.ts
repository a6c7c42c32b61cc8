/**
 * Signaling follows the SFU's lifecycle instead of shadowing it. The engine
 * (sfu/engine.ts) is the one that knows when a publisher's media flows and how
 * many viewers it feeds; signaling turns that into presence and pushes:
 *
 * - `showstarted`: the model goes `public` (until then the model is `online`
 *   with its show open, and `show:watch` answers NOT_FOUND), so a viewer the
 *   directory sends to the show always finds media at the SFU.
 * - `viewercount`: the show's viewer count, written to the store once (here,
 *   on the node whose engine hosts the show) and pushed; with the Redis
 *   adapter that one emit reaches the sockets of every node.
 * - `showstalled` / `showresumed`: the publisher's media stopped (or came
 *   back) while its connection looked up; the model drops to `online` (so the
 *   directory sends nobody to a show without media) and the show's room, its
 *   viewers and model, gets `show:stalled`. The engine ends a show stalled too
 *   long (`showended`, reason `stalled`): signaling ends it then.
 * - `showended`: see `#ended` for the one way a show ends.
 *
 * One show's events are applied in the order the engine emitted them, so a
 * quick start-stop cannot leave the model listed as public.
 */
import type { TypedEmitter } from '../sfu/emitter.ts';
import type { CloseReason, SfuEngineEvents } from '../sfu/engine.ts';
import { rooms, type Ctx, type SfuControl } from './context.ts';
import { endShow, scheduleViewerPush, setStatus } from './presence.ts';

/** The engine events signaling follows: an in-process SfuEngine's `events`. */
export type SfuEvents = Pick<TypedEmitter<SfuEngineEvents>, 'on' | 'off'>;

/** What signaling needs of an SFU: its lifecycle events, and closing a show's media when signaling ends the show. */
export interface SfuLink extends SfuControl {
  readonly events: SfuEvents;
}

export class SfuFollower {
  readonly #ctx: Ctx;
  readonly #sfu: SfuLink;
  /** Per show, the tail of its chain of pending event work. */
  readonly #chains = new Map<string, Promise<void>>();
  #closed = false;

  constructor(ctx: Ctx, sfu: SfuLink) {
    this.#ctx = ctx;
    this.#sfu = sfu;
    sfu.events.on('showstarted', this.#onStarted);
    sfu.events.on('showended', this.#onEnded);
    sfu.events.on('viewercount', this.#onCount);
    sfu.events.on('showstalled', this.#onStalled);
    sfu.events.on('showresumed', this.#onResumed);
  }

  readonly #onStarted = (showId: string): void => this.#enqueue(showId, 'showstarted', () => this.#started(showId));
  readonly #onEnded = (showId: string, reason: CloseReason): void => this.#enqueue(showId, 'showended', () => this.#ended(showId, reason));
  readonly #onCount = (showId: string, count: number): void => this.#enqueue(showId, 'viewercount', () => this.#counted(showId, count));
  readonly #onStalled = (showId: string): void => this.#enqueue(showId, 'showstalled', () => this.#stalled(showId, true));
  readonly #onResumed = (showId: string): void => this.#enqueue(showId, 'showresumed', () => this.#stalled(showId, false));

  #enqueue(showId: string, event: string, work: () => Promise<void>): void {
    if (this.#closed) return;
    const run = (this.#chains.get(showId) ?? Promise.resolve())
      .then(work)
      .catch((err: unknown) => this.#ctx.logger.error({ err, showId, event }, 'following an SFU event failed'))
      .finally(() => { if (this.#chains.get(showId) === run) this.#chains.delete(showId); });
    this.#chains.set(showId, run);
    this.#ctx.track(run);
  }

  async #started(showId: string): Promise<void> {
    const { store } = this.#ctx;
    const show = await store.getShow(showId);
    if (!show) {
      // Media for a show signaling already ended (a WHIP token outlives its show): nobody may watch it.
      await this.#sfu.closeShow(showId);
      return;
    }
    const presence = await store.getPresence(show.model);
    if (presence?.showId !== showId || presence.status !== 'online') return;
    await setStatus(this.#ctx, show.model, presence.pseudonym, 'public', showId);
    this.#ctx.logger.info({ showId, model: presence.pseudonym }, 'show public');
  }

  /**
   * One way a show ends: signaling's `endShow`, which deletes the show from the
   * store, tells viewers and the directory, then closes the show at the SFU.
   * Signaling owns the show (it exists before any media and outlives a media
   * drop), so the engine's `showended` only feeds into it: a publisher's own
   * WHIP DELETE (`deleted`, e.g. OBS stopping) ends the show through
   * `endShow`; for a show signaling already ended (its own `closeShow`
   * coming back) it is a no-op; any other reason is media lost while the
   * show stays open, so the model drops back to `online` until it publishes
   * again.
   */
  async #ended(showId: string, reason: CloseReason): Promise<void> {
    const { store, tuning } = this.#ctx;
    const show = await store.getShow(showId);
    if (!show) return;
    if (reason === 'deleted') {
      await endShow(this.#ctx, showId, 'ended');
      return;
    }
    if (reason === 'stalled') {
      await endShow(this.#ctx, showId, 'disconnected');
      return;
    }
    await store.setViewerCount(showId, 0, tuning.presenceTtlMs);
    const presence = await store.getPresence(show.model);
    if (presence?.showId === showId && presence.status === 'public') {
      await setStatus(this.#ctx, show.model, presence.pseudonym, 'online', showId);
      this.#ctx.logger.info({ showId, model: presence.pseudonym, reason }, 'show media lost');
    }
    scheduleViewerPush(this.#ctx, showId, show.model);
  }

  async #stalled(showId: string, stalled: boolean): Promise<void> {
    const show = await this.#ctx.store.getShow(showId);
    if (!show) return;
    const presence = await this.#ctx.store.getPresence(show.model);
    if (presence?.showId === showId && presence.status === (stalled ? 'public' : 'online')) {
      await setStatus(this.#ctx, show.model, presence.pseudonym, stalled ? 'online' : 'public', showId);
    }
    this.#ctx.io.to([rooms.show(showId), rooms.identity(show.model)]).emit('show:stalled', { showId, stalled });
    if (stalled) this.#ctx.logger.warn({ showId, model: presence?.pseudonym }, 'show stalled: no media from the publisher');
    else this.#ctx.logger.info({ showId, model: presence?.pseudonym }, 'show media resumed');
  }

  async #counted(showId: string, count: number): Promise<void> {
    const { store, tuning } = this.#ctx;
    const show = await store.getShow(showId);
    if (!show) return;
    await store.setViewerCount(showId, count, tuning.presenceTtlMs);
    scheduleViewerPush(this.#ctx, showId, show.model);
  }

  /** Stops following (idempotent); work already queued is awaited by the server's close. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sfu.events.off('showstarted', this.#onStarted);
    this.#sfu.events.off('showended', this.#onEnded);
    this.#sfu.events.off('viewercount', this.#onCount);
    this.#sfu.events.off('showstalled', this.#onStalled);
    this.#sfu.events.off('showresumed', this.#onResumed);
  }
}

/**
 * One show's public chat for a page: listens to `chat:message` for that show while the page is connected and
 * sends through the page's session. It also follows moderation: for a viewer, their own mute (until when), ban
 * and the show's slow mode (when the next message may go); for the model, the actions (mute, ban, unban, slow
 * mode) and the viewers banned, from the `chat:moderated` events this session received.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ChatMessage, ServerToClient } from '../../signaling/protocol.ts';
import type { Session } from '../services/session.ts';
import { pseudonymFor } from '../services/key-visual.ts';
import { messageFor } from '../messages.ts';
import { toClientError } from '../errors.ts';
import { formatDuration } from '../format.ts';

/** How many messages a page keeps on screen. */
const KEEP = 200;

/** What the chat shows about moderation (live-chat's `moderation` property). */
export interface ChatModeration {
  /** This page is the show's model: each author gets actions, the slow-mode selector is shown. */
  moderator: boolean;
  /** Own identity key: no actions on one's own messages. */
  selfKey: string;
  /** Slow mode of the show, seconds (0: off). */
  slowModeSeconds: number;
  /** Own mute ends at this time (ms), 0 when not muted. */
  mutedUntil: number;
  /** The model banned this viewer. */
  banned: boolean;
  /** Slow mode: the next message may go at this time (ms), 0 when now. */
  nextSendAt: number;
}

/** A viewer the model banned, as the ban list shows them. */
export interface BannedViewer { key: string; pseudonym: string; at: number }

type Moderated = Parameters<ServerToClient['chat:moderated']>[0];

export class ChatController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  #session: Session | null = null;
  #showId = '';
  #stop: (() => void)[] = [];
  #lastSentAt = 0;
  /** Author names seen, so the ban list names a viewer banned from a message. */
  readonly #names = new Map<string, string>();
  /** The latest messages, oldest first. */
  messages: ChatMessage[] = [];
  /** Plain words for the last failed send or action, '' after a good one. */
  error = '';
  /** Plain words for the last moderation action that worked (the model's page). */
  notice = '';
  moderation: ChatModeration = { moderator: false, selfKey: '', slowModeSeconds: 0, mutedUntil: 0, banned: false, nextSendAt: 0 };
  /** Viewers banned by this model, newest first (from this session's ban and unban events). */
  bans: BannedViewer[] = [];

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    host.addController(this);
  }

  /**
   * Follows `showId`'s chat through `session` (a new show starts an empty list). `slowModeSeconds`: the show's
   * slow mode as `show:watch` answered; `moderator`: this page is the show's model.
   */
  attach(session: Session, showId: string, options: { slowModeSeconds?: number; moderator?: boolean } = {}): void {
    this.#unlisten();
    this.#session = session;
    this.#showId = showId;
    this.messages = [];
    this.error = '';
    this.notice = '';
    this.#lastSentAt = 0;
    this.moderation = {
      moderator: options.moderator ?? false, selfKey: session.info?.key ?? '', slowModeSeconds: options.slowModeSeconds ?? 0,
      mutedUntil: 0, banned: false, nextSendAt: 0,
    };
    this.#listen();
    this.#host.requestUpdate();
  }

  /** Sends `text`; false (with `error` set) when the server refused it. */
  async send(text: string): Promise<boolean> {
    if (!this.#session || !this.#showId) return false;
    try {
      await this.#session.request('chat:send', { showId: this.#showId, text });
      this.error = '';
      this.#lastSentAt = Date.now();
      this.#update({});
      return true;
    } catch (err) {
      const code = toClientError(err).code;
      if (code === 'BANNED') this.#update({ banned: true });
      this.error = messageFor(err);
      if (code === 'SLOW_MODE' && !this.#lastSentAt) this.#lastSentAt = Date.now();
      this.#update({});
      return false;
    } finally {
      this.#host.requestUpdate();
    }
  }

  /** The model mutes `target` in this show for `seconds`. */
  mute(target: string, seconds: number): Promise<boolean> {
    return this.#act(() => this.#session!.request('chat:mute', { showId: this.#showId, target, seconds }),
      `${this.#nameOf(target)} is muted for ${formatDuration(seconds)}.`);
  }

  /** The model bans `target` from all their shows (their chat and video stop). */
  ban(target: string): Promise<boolean> {
    return this.#act(() => this.#session!.request('chat:ban', { target }), `${this.#nameOf(target)} is banned.`);
  }

  unban(target: string): Promise<boolean> {
    return this.#act(() => this.#session!.request('chat:unban', { target }), `${this.#nameOf(target)} may come back.`);
  }

  /** The model sets the show's slow mode (0: off). */
  slowMode(seconds: number): Promise<boolean> {
    return this.#act(() => this.#session!.request('chat:slowMode', { showId: this.#showId, seconds }),
      seconds ? `Slow mode: one message every ${formatDuration(seconds)}.` : 'Slow mode is off.');
  }

  async #act(run: () => Promise<unknown>, done: string): Promise<boolean> {
    if (!this.#session) return false;
    try {
      await run();
      this.error = '';
      this.notice = done;
      return true;
    } catch (err) {
      this.error = messageFor(err);
      this.notice = '';
      return false;
    } finally {
      this.#host.requestUpdate();
    }
  }

  #nameOf(key: string): string {
    return this.#names.get(key) ?? pseudonymFor(key);
  }

  #update(change: Partial<ChatModeration>): void {
    const m = { ...this.moderation, ...change };
    // The model is never slowed (the server does not slow them either).
    m.nextSendAt = !m.moderator && m.slowModeSeconds > 0 && this.#lastSentAt ? this.#lastSentAt + m.slowModeSeconds * 1000 : 0;
    if (m.nextSendAt <= Date.now()) m.nextSendAt = 0;
    this.moderation = m;
    this.#host.requestUpdate();
  }

  #onModerated(e: Moderated): void {
    const self = this.#session?.info?.key ?? '';
    if (e.target === self) {
      if (e.action === 'muted' && (e.showId === this.#showId || !this.#showId)) this.#update({ mutedUntil: e.until ?? 0 });
      else if (e.action === 'banned') this.#update({ banned: true });
      else if (e.action === 'unbanned') this.#update({ banned: false });
      return;
    }
    if (e.action === 'banned') {
      this.bans = [{ key: e.target, pseudonym: this.#nameOf(e.target), at: Date.now() }, ...this.bans.filter((b) => b.key !== e.target)];
    } else if (e.action === 'unbanned') {
      this.bans = this.bans.filter((b) => b.key !== e.target);
    }
    this.#host.requestUpdate();
  }

  #listen(): void {
    if (!this.#session || this.#stop.length) return;
    const session = this.#session;
    this.#stop.push(
      session.listen('chat:message', (m) => {
        if (m.showId !== this.#showId) return;
        if (m.from.key) this.#names.set(m.from.key, m.from.pseudonym);
        this.messages = [...this.messages.slice(-(KEEP - 1)), m];
        this.#host.requestUpdate();
      }),
      session.listen('chat:slowMode', (e) => {
        if (e.showId === this.#showId) this.#update({ slowModeSeconds: e.seconds });
      }),
      session.listen('chat:moderated', (e) => this.#onModerated(e)),
      session.events.on('login', (info) => { this.moderation = { ...this.moderation, selfKey: info.key }; }),
    );
  }

  #unlisten(): void {
    for (const off of this.#stop.splice(0)) off();
  }

  hostConnected(): void {
    this.#listen();
  }

  hostDisconnected(): void {
    this.#unlisten();
  }
}

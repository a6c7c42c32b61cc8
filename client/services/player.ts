/**
 * Plays one model's public show over WHEP and keeps it playing. The SFU's event stream (the WHEP server-sent
 * events extension) says `reconnect` when the worker holding the show died or its host drains: the player then
 * asks signaling again (`watch`, i.e. `show:watch`: a fresh URL and token, maybe on another SFU host) and plays
 * again by itself, as it does when the connection fails or the browser comes back online. The quality is the WHEP
 * layer extension's (`auto`, `high`, `medium`, `low`), kept across reconnects. Each offer after the first uses the
 * ICE servers the previous answer's `Link` headers named.
 */
import { setWhepLayer, whepPlay, WhipError, type LayerChoice, type WhipSession } from '../lib/whip.ts';
import { ClientError, toClientError } from '../errors.ts';
import { Emitter } from './emitter.ts';

export type { LayerChoice } from '../lib/whip.ts';
export const LAYER_CHOICES: readonly LayerChoice[] = ['auto', 'high', 'medium', 'low'];

/**
 * `loading`: the first join; `playing`: media connected; `reconnecting`: lost, joining again by itself;
 * `offline`: the browser has no network (joins again when it is back); `ended`: stopped for good (`end()`, or a
 * reconnect the server refused or that ran out of time: `error` says why).
 */
export type PlayerState = 'idle' | 'loading' | 'playing' | 'reconnecting' | 'offline' | 'ended';

/** What `watch` returns: where and with what token to play (signaling's `show:watch` answer). */
export interface WatchTicket { showId: string; whepUrl: string; whepToken: string }

export interface PlayerEvents {
  /** The state changed; `error` is set when a failure caused it. */
  state: [state: PlayerState, error: ClientError | null];
  /** The media to show (a new stream after each reconnect). */
  stream: [stream: MediaStream];
  /** The quality in force changed. */
  quality: [layer: LayerChoice];
}

export interface PlayerOptions {
  /** Asks signaling for the show's WHEP URL and a fresh token (`show:watch`); its errors are ClientErrors. */
  watch: () => Promise<WatchTicket>;
  /** Base for relative WHEP URLs (default this page's origin). */
  origin?: string;
  /** How long a reconnect keeps trying before the player gives up, ms (default 45 s). */
  reconnectForMs?: number;
}

/** Server answers that a retry cannot change: the viewer is not allowed in, so the player stops. */
const FINAL_CODES = new Set(['BANNED', 'REGION_BLOCKED', 'FORBIDDEN', 'UNAUTHENTICATED', 'SESSION_EXPIRED']);

export class Player {
  readonly events = new Emitter<PlayerEvents>();
  readonly #o: Required<Omit<PlayerOptions, 'origin'>> & { origin: string };
  #state: PlayerState = 'idle';
  #session: WhipSession | null = null;
  #token = '';
  #showId = '';
  #sse: EventSource | null = null;
  #quality: LayerChoice = 'auto';
  #iceServers: RTCIceServer[] = [];
  /** Bumped by every join and by close: a join that finds it changed drops what it made. */
  #generation = 0;
  #reconnects = 0;
  /** A reconnect loop runs. */
  #rejoining = false;
  #closed = false;

  constructor(options: PlayerOptions) {
    this.#o = { reconnectForMs: 45_000, origin: globalThis.location?.origin ?? '', ...options };
    globalThis.addEventListener?.('offline', this.#onOffline);
    globalThis.addEventListener?.('online', this.#onOnline);
  }

  get state(): PlayerState { return this.#state; }
  /** The show being played ('' before the first join). */
  get showId(): string { return this.#showId; }
  get quality(): LayerChoice { return this.#quality; }
  /** How many times the player joined again by itself. */
  get reconnects(): number { return this.#reconnects; }
  /** The ICE servers the last answer named (used for the next offer). */
  get iceServers(): RTCIceServer[] { return this.#iceServers; }
  /** The live peer connection, or null. */
  get connection(): RTCPeerConnection | null { return this.#session?.pc ?? null; }
  /** The SFU resource of the current session (its URL), or ''. */
  get resourceUrl(): string { return this.#session?.resourceUrl ?? ''; }

  /** Joins the show; rejects (and ends) when the first join fails. */
  async play(): Promise<void> {
    if (this.#closed) throw new ClientError('CONFLICT', 'the player is closed');
    this.#set('loading', null);
    try {
      await this.#join();
    } catch (err) {
      const e = toPlayerError(err);
      this.#teardown();
      this.#set('ended', e);
      throw e;
    }
  }

  /** Asks the SFU for `layer`; kept for every later join. */
  async setQuality(layer: LayerChoice): Promise<void> {
    const previous = this.#quality;
    this.#quality = layer;
    if (!this.#session) { this.events.emit('quality', layer); return; }
    try {
      await setWhepLayer(this.#session, this.#token, layer);
      this.events.emit('quality', layer);
    } catch (err) {
      this.#quality = previous;
      throw toPlayerError(err);
    }
  }

  /**
   * The show ended (signaling said so): stops for good, with `error` as the reason shown. The SFU closed the
   * session with its show, so nothing is asked of it.
   */
  end(error: ClientError | null = null): void {
    if (this.#state === 'ended') return;
    this.#generation++;
    this.#teardown(false);
    this.#set('ended', error);
  }

  /** Stops playing and forgets every listener; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#generation++;
    globalThis.removeEventListener?.('offline', this.#onOffline);
    globalThis.removeEventListener?.('online', this.#onOnline);
    this.#teardown();
    this.events.clear();
  }

  async #join(): Promise<void> {
    const generation = ++this.#generation;
    const ticket = await this.#o.watch();
    if (generation !== this.#generation) return;
    const endpoint = new URL(ticket.whepUrl, this.#o.origin).href;
    const session = await whepPlay(endpoint, ticket.whepToken, (stream) => this.events.emit('stream', stream), {
      iceServers: this.#iceServers, layer: this.#quality,
    });
    if (generation !== this.#generation || this.#closed) { void session.stop(); return; }
    this.#teardown();
    this.#session = session;
    this.#token = ticket.whepToken;
    this.#showId = ticket.showId;
    if (session.iceServers.length) this.#iceServers = session.iceServers;
    session.pc.addEventListener('connectionstatechange', () => {
      if (this.#session !== session) return;
      if (session.pc.connectionState === 'connected') this.#set('playing', null);
      else if (session.pc.connectionState === 'failed') void this.#reconnect();
    });
    if (session.pc.connectionState === 'connected') this.#set('playing', null);
    this.#follow(session);
  }

  /** The SFU's event stream for this session: `reconnect` joins again, `closed` is the session's end. */
  #follow(session: WhipSession): void {
    if (!session.eventsUrl) return;
    const sse = new EventSource(session.eventsUrl);
    this.#sse = sse;
    sse.addEventListener('reconnect', () => { sse.close(); if (this.#session === session) void this.#reconnect(); });
    // `closed`: the show ended or the session was removed; signaling's show:ended says which and calls end().
    sse.addEventListener('closed', () => sse.close());
  }

  /**
   * Joins again until it plays, the server refuses for good, or `reconnectForMs` passes (time offline does not
   * count). It keeps trying while the browser says it is offline: that flag is only a hint (a page on a network
   * without a route out reports offline and still reaches its server).
   */
  async #reconnect(): Promise<void> {
    if (this.#closed || this.#rejoining || this.#is('ended')) return;
    this.#rejoining = true;
    try {
      await this.#rejoin();
    } finally {
      this.#rejoining = false;
    }
  }

  async #rejoin(): Promise<void> {
    // The session is gone on the server (its worker died) or unreachable: close here, ask nothing there.
    this.#teardown(false);
    if (!this.#is('offline')) this.#set('reconnecting', null);
    let deadline = Date.now() + this.#o.reconnectForMs;
    let pause = 200;
    let last: ClientError | null = null;
    while (!this.#closed && this.#is('reconnecting', 'offline')) {
      if (this.#is('offline')) deadline = Date.now() + this.#o.reconnectForMs;
      else if (Date.now() > deadline) break;
      try {
        await this.#join();
        if (this.#session) { this.#reconnects++; return; }
      } catch (err) {
        last = toPlayerError(err);
        if (FINAL_CODES.has(last.code)) break;
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 2_000);
    }
    if (this.#closed || this.#is('ended') || this.#session) return;
    this.#set('ended', last ?? new ClientError('PLAYBACK_FAILED', 'could not join the show again in time'));
  }

  /** The browser lost its network: say so; the media's own failure (or the SSE) starts the reconnect. */
  #onOffline = (): void => {
    if (this.#is('reconnecting', 'playing')) this.#set('offline', null);
  };

  #onOnline = (): void => {
    if (!this.#is('offline')) return;
    if (this.#session?.pc.connectionState === 'connected') this.#set('playing', null);
    else this.#set('reconnecting', null);
  };

  /** Drops the current session; `onServer` also ends it there (DELETE). */
  #teardown(onServer = true): void {
    this.#sse?.close();
    this.#sse = null;
    if (onServer) void this.#session?.stop();
    else this.#session?.pc.close();
    this.#session = null;
  }

  /** Reads the state afresh (it changes while a reconnect awaits). */
  #is(...states: PlayerState[]): boolean {
    return states.includes(this.#state);
  }

  #set(state: PlayerState, error: ClientError | null): void {
    if (this.#state === state && !error) return;
    this.#state = state;
    this.events.emit('state', state, error);
  }
}

/** A WHEP failure in the browser's words: the SFU's refusals are not server protocol codes. */
function toPlayerError(err: unknown): ClientError {
  if (err instanceof WhipError) {
    if (err.code === 'NETWORK') return new ClientError('NETWORK', err.message, { cause: err });
    if (err.status === 503) return new ClientError('SHOW_FULL', err.message, { cause: err });
    return new ClientError('PLAYBACK_FAILED', `${err.code}: ${err.message}`, { cause: err });
  }
  return toClientError(err);
}

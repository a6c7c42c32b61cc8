import { LitElement, css, html } from 'lit';
import type { Session } from '../services/session.ts';
import type { DirectoryEntry, EndReason } from '../../signaling/protocol.ts';
import { Player, type LayerChoice, type PlayerState } from '../services/player.ts';
import { TipsController } from '../controllers/tips.ts';
import type { ClientError } from '../errors.ts';
import { consumeServices } from '../context.ts';
import { ChatController } from '../controllers/chat.ts';
import { messageFor } from '../messages.ts';
import { toClientError } from '../errors.ts';
import { PrivateRequestController } from '../controllers/private-request.ts';
import '../components/live-chat.ts';
import '../components/private-offer.ts';
import '../components/call-screen.ts';
import '../components/identity-badge.ts';
import '../components/player-controls.ts';
import '../components/tip-panel.ts';
import '../components/tip-goal.ts';
import { KeyPins } from '../services/key-pins.ts';
import { pseudonymFor } from '../services/key-visual.ts';

/** Where the volume is remembered between visits (a number, not a secret). */
const VOLUME_KEY = 'livecam.volume';

/** Why a show ended, for the viewer. */
const ENDED_WORDS: Partial<Record<EndReason, string>> = {
  ended: 'The show has ended.',
  disconnected: 'The show has ended. The model\'s video stopped reaching the server.',
  banned: 'You were banned by this model: the chat and the video stopped.',
  region: 'This show is no longer available where you connect from.',
  deleted: 'The model closed their account.',
};

/**
 * Watches one model's public show through WHEP (client/services/player.ts: quality, reconnects by itself), with
 * its chat, tip menu, tip goal and the player's controls (volume, mute, quality, full screen). It follows the
 * show: a stall pauses it, its end stops the playback and says why, and when the model goes public again (the
 * directory says so) the page plays the new show.
 */
export class LiveViewer extends LitElement {
  static override properties = {
    model: { type: String }, status: { state: true }, showId: { state: true }, pinnedKey: { state: true },
    playerState: { state: true }, quality: { state: true }, volume: { state: true }, muted: { state: true }, fullscreen: { state: true },
  };
  /** The model's identity key (base64url). */
  declare model: string;
  declare status: string;
  declare showId: string;
  /** The key pinned for this model's pseudonym when it is not the link's (a lookalike), else ''. */
  declare pinnedKey: string;
  /** The player's state, for the overlay and the controls. */
  declare playerState: PlayerState;
  declare quality: LayerChoice;
  declare volume: number;
  declare muted: boolean;
  declare fullscreen: boolean;
  #services = consumeServices(this);
  #chat = new ChatController(this);
  #tips = new TipsController(this);
  #private = new PrivateRequestController(this);
  #connection: Session | null = null;
  #player: Player | null = null;
  #stopListening: (() => void)[] = [];
  /** The show being joined or played ('' when none), so that one public push starts one playback. */
  #joining = '';
  #modelName = '';

  static override styles = css`
    .stage { display: flex; gap: 16px; flex-wrap: wrap; align-items: flex-start; }
    .player { position: relative; width: 640px; max-width: 100%; display: flex; flex-direction: column; }
    .player:fullscreen { width: 100%; height: 100%; background: #000; justify-content: center; }
    .player:fullscreen video { flex: 1; min-height: 0; border-radius: 0; }
    video { width: 100%; background: #000; border-radius: 8px 8px 0 0; aspect-ratio: 16 / 9; }
    .overlay { position: absolute; inset: 0 0 60px 0; display: flex; align-items: center; justify-content: center; text-align: center;
      padding: 16px; color: #fff; background: rgba(0, 0, 0, 0.55); border-radius: 8px 8px 0 0; pointer-events: none; }
    .side { display: grid; gap: 12px; flex: 1; min-width: 260px; max-width: 420px; }
    .private { margin-top: 20px; }
  `;

  constructor() {
    super();
    this.model = '';
    this.status = 'Connecting…';
    this.showId = '';
    this.pinnedKey = '';
    this.playerState = 'idle';
    this.quality = 'auto';
    const remembered = Number(globalThis.localStorage?.getItem(VOLUME_KEY) ?? 1);
    this.volume = Number.isFinite(remembered) && remembered >= 0 && remembered <= 1 ? remembered : 1;
    // Browsers play sound only after a gesture: start muted, the Unmute button is the gesture.
    this.muted = true;
    this.fullscreen = false;
  }

  /** Pins the link's key (keys already seen stay pinned); a pseudonym pinned to another key marks this one a lookalike. */
  async #pinLink(): Promise<void> {
    const pins = new KeyPins();
    try {
      await pins.pin(this.model, 'link');
    } catch (err) {
      if (toClientError(err).code === 'KEY_CHANGED') this.pinnedKey = (await pins.lookup(pseudonymFor(this.model)).catch(() => undefined))?.key ?? '';
    }
  }

  #onEnded = (e: { showId: string; reason: EndReason }) => {
    if (e.showId !== this.showId) return;
    const why = ENDED_WORDS[e.reason] ?? 'The show has ended.';
    this.status = e.reason === 'banned' || e.reason === 'region' || e.reason === 'deleted'
      ? why : `${why} This page plays ${this.#modelName || 'the model'}'s next show when it starts.`;
    this.showId = '';
    this.#joining = '';
    this.#player?.end();
    this.#stopPlayback();
  };

  #onStalled = (e: { showId: string; stalled: boolean }) => {
    if (e.showId !== this.showId) return;
    this.status = e.stalled ? 'The show is paused: the model\'s video is not reaching the server.' : `Watching ${this.#modelName}`;
  };

  /** The model's entry changed: public with a show this page does not play yet means a (new) show to watch. */
  #onEntry = (e: DirectoryEntry) => {
    if (e.key !== this.model) return;
    if (e.pseudonym) this.#modelName = e.pseudonym;
    if (e.status === 'public' && e.showId && e.showId !== this.#joining) void this.#watch();
  };

  override async firstUpdated(): Promise<void> {
    void this.#private.attach(this.#services.value!, this.model);
    void this.#pinLink();
    try {
      this.#connection = this.#services.value!.session('client');
      this.#stopListening.push(
        this.#connection.listen('show:ended', this.#onEnded),
        this.#connection.listen('show:stalled', this.#onStalled),
        this.#connection.listen('directory:update', this.#onEntry),
      );
      await this.#connection.login();
      // The directory's pushes say when this model goes public (again).
      await this.#connection.request('directory:subscribe', {});
    } catch (err) {
      this.status = messageFor(err);
      return;
    }
    await this.#watch();
  }

  /** Asks to watch the model's public show and plays it; NOT_FOUND waits for the directory to say public. */
  async #watch(): Promise<void> {
    const connection = this.#connection;
    if (!connection) return;
    const asking = `asking:${Date.now()}:${Math.random()}`;
    this.#joining = asking;
    try {
      const watch = await connection.request('show:watch', { model: this.model });
      if (this.#joining !== asking || watch.showId === this.showId) return;
      this.#joining = watch.showId;
      this.#stopPlayback();
      this.showId = watch.showId;
      this.#modelName = watch.model.pseudonym;
      this.#chat.attach(connection, watch.showId, { slowModeSeconds: watch.slowModeSeconds });
      void this.#tips.attach(this.#services.value!, connection, this.model, watch.showId);
      this.status = `Watching ${watch.model.pseudonym}`;
      // The first ticket is this answer; a reconnect asks signaling again (maybe another SFU host, a fresh token).
      let ticket: typeof watch | null = watch;
      const player = new Player({
        watch: async () => {
          const next = ticket ?? await connection.request('show:watch', { model: this.model });
          ticket = null;
          return next;
        },
      });
      this.#player = player;
      player.events.on('stream', (stream) => {
        const video = this.renderRoot.querySelector('video');
        if (video && video.srcObject !== stream) video.srcObject = stream;
        this.#applyVolume();
      });
      player.events.on('state', (state, error) => this.#onPlayerState(state, error));
      player.events.on('quality', (layer) => { this.quality = layer; });
      await player.setQuality(this.quality);
      await player.play();
    } catch (err) {
      if (this.#joining === asking) this.#joining = '';
      // NOT_FOUND is the ordinary case (offline, private, or media not yet at the server): say it plainly.
      if (!this.showId) this.status = toClientError(err).code === 'NOT_FOUND' ? 'No public show right now.' : messageFor(err);
    }
  }

  #onPlayerState(state: PlayerState, error: ClientError | null): void {
    this.playerState = state;
    if (state === 'playing') this.status = `Watching ${this.#modelName}`;
    else if (state === 'reconnecting') this.status = 'Reconnecting to the show…';
    else if (state === 'offline') this.status = 'You are offline. The show comes back when your connection does.';
    else if (state === 'ended' && error && this.showId) {
      this.status = messageFor(error);
      this.showId = '';
      this.#joining = '';
    }
  }

  #stopPlayback(): void {
    this.#player?.close();
    this.#player = null;
    this.playerState = 'idle';
    const video = this.renderRoot.querySelector('video');
    if (video) video.srcObject = null;
  }

  #applyVolume(): void {
    const video = this.renderRoot.querySelector('video');
    if (!video) return;
    video.volume = this.volume;
    video.muted = this.muted;
  }

  #onQuality = async (e: CustomEvent<{ layer: LayerChoice }>): Promise<void> => {
    try {
      await this.#player?.setQuality(e.detail.layer);
    } catch (err) {
      this.status = messageFor(err);
      this.requestUpdate();
    }
  };

  #onVolume = (e: CustomEvent<{ volume: number }>): void => {
    this.volume = e.detail.volume;
    this.muted = e.detail.volume === 0;
    globalThis.localStorage?.setItem(VOLUME_KEY, String(this.volume));
    this.#applyVolume();
  };

  #onMute = (e: CustomEvent<{ muted: boolean }>): void => {
    this.muted = e.detail.muted;
    if (!this.muted && this.volume === 0) this.volume = 1;
    this.#applyVolume();
    // Unmuting is a gesture: a video the browser held back for its sound may play now.
    void this.renderRoot.querySelector('video')?.play().catch(() => undefined);
  };

  #onFullscreen = async (): Promise<void> => {
    try {
      if (document.fullscreenElement) await document.exitFullscreen();
      else await this.renderRoot.querySelector<HTMLElement>('.player')?.requestFullscreen();
    } catch {
      // Refused (an iframe without permission): the page stays as it is.
    }
  };

  #onFullscreenChange = (): void => {
    this.fullscreen = document.fullscreenElement !== null;
  };

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('fullscreenchange', this.#onFullscreenChange);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('fullscreenchange', this.#onFullscreenChange);
    for (const off of this.#stopListening.splice(0)) off();
    if (this.showId) void this.#connection?.request('show:leave', { showId: this.showId }).catch(() => undefined);
    this.#stopPlayback();
  }

  #privateSection() {
    const p = this.#private;
    const view = p.view;
    if (view.active && view.state !== 'requesting' && view.state !== 'waiting') {
      return html`<call-screen .remote=${view.remote} .local=${view.local} .chat=${view.chat} state=${view.state} peer=${view.peer} peer-key=${view.peerKey}
        .minute=${view.minute} .spent=${view.spent} .remaining=${view.remaining} safety-code=${view.safetyCode}
        ended-text=${view.endedText} notice=${view.notice} can-tip
        @call-chat-send=${(e: CustomEvent<{ text: string }>) => view.sendChat(e.detail.text)}
        @call-tip=${(e: CustomEvent<{ amount: bigint }>) => void view.tip(e.detail.amount)}
        @call-end=${() => view.end()}></call-screen>
        ${view.state === 'ended' ? html`<p><button id="call-dismiss" @click=${() => view.dismiss()}>Back</button></p>` : ''}`;
    }
    const entry = p.entry;
    return html`<private-offer model=${entry?.pseudonym ?? ''} model-key=${this.model} .price=${BigInt(entry?.pricePerMinute ?? '0')}
      min-minutes=${entry?.minMinutes ?? 1} .deposit=${p.deposit} status=${p.status} ?pending=${p.pending}
      @private-request=${(e: CustomEvent<{ direct: boolean }>) => void p.request(e.detail.direct)}
      @private-cancel=${() => p.cancel()}></private-offer>`;
  }

  /** Words over the video while it is not simply playing. */
  #overlay() {
    const words: Partial<Record<PlayerState, string>> = {
      loading: 'Loading the show…',
      reconnecting: 'Reconnecting…',
      offline: 'You are offline',
    };
    const text = this.showId ? words[this.playerState] : this.status;
    return text ? html`<div class="overlay" id="player-overlay" aria-hidden="true">${text}</div>` : '';
  }

  override render() {
    const inCall = this.#private.view.active && this.#private.view.state !== 'requesting' && this.#private.view.state !== 'waiting';
    if (inCall) return this.#privateSection();
    return html`
      <p id="status" role="status">${this.status}</p>
      <identity-badge id="model-identity" public-key=${this.model} pinned-key=${this.pinnedKey}></identity-badge>
      <div class="stage">
        <div class="player">
          <video autoplay playsinline muted id="remote" aria-label=${`Live video of ${this.#modelName || 'the model'}`}></video>
          ${this.#overlay()}
          <player-controls quality=${this.quality} .volume=${this.volume} ?muted=${this.muted} ?fullscreen=${this.fullscreen}
            ?disabled=${this.playerState !== 'playing'}
            @player-quality=${this.#onQuality} @player-volume=${this.#onVolume} @player-mute=${this.#onMute}
            @player-fullscreen=${this.#onFullscreen}></player-controls>
        </div>
        ${this.showId ? html`<div class="side">
          <tip-goal .goal=${this.#tips.goal}></tip-goal>
          <live-chat .messages=${this.#chat.messages} .error=${this.#chat.error} .moderation=${this.#chat.moderation}
            @chat-send=${(e: CustomEvent<{ text: string }>) => void this.#chat.send(e.detail.text)}></live-chat>
          <tip-panel .menu=${this.#tips.menu} ?busy=${this.#tips.busy} status=${this.#tips.status}
            wallet-link=${this.#tips.needsDeposit ? `#/wallet/${this.model}` : ''}
            @tip-send=${(e: CustomEvent<{ amount: bigint; item?: string }>) => void this.#tips.tip(e.detail.amount, e.detail.item)}></tip-panel>
        </div>` : ''}
      </div>
      <section class="private">${this.#privateSection()}</section>`;
  }
}
customElements.define('live-viewer', LiveViewer);

declare global {
  interface HTMLElementTagNameMap { 'live-viewer': LiveViewer }
}

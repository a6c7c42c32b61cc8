import { LitElement, css, html } from 'lit';
import { whepPlay, type WhipSession } from '../lib/whip.ts';
import type { Session } from '../services/session.ts';
import type { DirectoryEntry } from '../../signaling/protocol.ts';
import { consumeServices } from '../context.ts';
import { ChatController } from '../controllers/chat.ts';
import { messageFor } from '../messages.ts';
import { toClientError } from '../errors.ts';
import { PrivateRequestController } from '../controllers/private-request.ts';
import '../components/live-chat.ts';
import '../components/private-offer.ts';
import '../components/call-screen.ts';
import '../components/identity-badge.ts';
import { KeyPins } from '../services/key-pins.ts';
import { pseudonymFor } from '../services/key-visual.ts';

/**
 * Watches one model's public show through WHEP, with its chat. It follows the show: a stall pauses it, its end
 * stops the playback, and when the model goes public again (the directory says so) the page plays the new show.
 */
export class LiveViewer extends LitElement {
  static override properties = { model: { type: String }, status: { state: true }, showId: { state: true }, pinnedKey: { state: true } };
  /** The model's identity key (base64url). */
  declare model: string;
  declare status: string;
  declare showId: string;
  /** The key pinned for this model's pseudonym when it is not the link's (a lookalike), else ''. */
  declare pinnedKey: string;
  #services = consumeServices(this);
  #chat = new ChatController(this);
  #private = new PrivateRequestController(this);
  #connection: Session | null = null;
  #playback: WhipSession | null = null;
  #stopListening: (() => void)[] = [];
  /** The show being joined or played ('' when none), so that one public push starts one playback. */
  #joining = '';
  #modelName = '';

  static override styles = css`
    .stage { display: flex; gap: 16px; flex-wrap: wrap; }
    video { width: 640px; max-width: 100%; background: #000; border-radius: 8px; }
    .private { margin-top: 20px; }
  `;

  constructor() {
    super();
    this.model = '';
    this.status = 'Connecting…';
    this.showId = '';
    this.pinnedKey = '';
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

  #onEnded = (e: { showId: string; reason: string }) => {
    if (e.showId !== this.showId) return;
    this.status = e.reason === 'banned' ? 'You were banned by this model: the chat and the video stopped.'
      : `The show has ended. This page plays ${this.#modelName || 'the model'}'s next show when it starts.`;
    this.showId = '';
    this.#joining = '';
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
      this.status = `Watching ${watch.model.pseudonym}`;
      const video = this.renderRoot.querySelector('video')!;
      const playback = await whepPlay(new URL(watch.whepUrl, location.origin).href, watch.whepToken, (stream) => {
        if (video.srcObject !== stream) video.srcObject = stream;
      });
      // The show may have ended while the WHEP answer was on its way.
      if (this.showId !== watch.showId || !this.isConnected) void playback.stop();
      else this.#playback = playback;
    } catch (err) {
      if (this.#joining === asking) this.#joining = '';
      // NOT_FOUND is the ordinary case (offline, private, or media not yet at the server): say it plainly.
      if (!this.showId) this.status = toClientError(err).code === 'NOT_FOUND' ? 'No public show right now.' : messageFor(err);
    }
  }

  #stopPlayback(): void {
    void this.#playback?.stop();
    this.#playback = null;
    const video = this.renderRoot.querySelector('video');
    if (video) video.srcObject = null;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
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

  override render() {
    const inCall = this.#private.view.active && this.#private.view.state !== 'requesting' && this.#private.view.state !== 'waiting';
    if (inCall) return this.#privateSection();
    return html`
      <p id="status" role="status">${this.status}</p>
      <identity-badge id="model-identity" public-key=${this.model} pinned-key=${this.pinnedKey}></identity-badge>
      <div class="stage">
        <video autoplay playsinline muted controls id="remote"></video>
        ${this.showId ? html`<live-chat .messages=${this.#chat.messages} .error=${this.#chat.error} .moderation=${this.#chat.moderation}
          @chat-send=${(e: CustomEvent<{ text: string }>) => void this.#chat.send(e.detail.text)}></live-chat>` : ''}
      </div>
      <section class="private">${this.#privateSection()}</section>`;
  }
}
customElements.define('live-viewer', LiveViewer);

declare global {
  interface HTMLElementTagNameMap { 'live-viewer': LiveViewer }
}

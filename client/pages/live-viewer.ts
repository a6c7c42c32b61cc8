import { LitElement, css, html } from 'lit';
import { whepPlay, type WhipSession } from '../lib/whip.ts';
import type { Session } from '../services/session.ts';
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

/** Watches one model's public show through WHEP, with its chat. */
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
  #stopEnded: (() => void) | null = null;

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

  #onEnded = (e: { showId: string }) => {
    if (e.showId !== this.showId) return;
    this.status = 'The show has ended.';
    void this.#playback?.stop();
    this.#playback = null;
  };

  override async firstUpdated(): Promise<void> {
    void this.#private.attach(this.#services.value!, this.model);
    void this.#pinLink();
    try {
      this.#connection = this.#services.value!.session('client');
      this.#stopEnded = this.#connection.listen('show:ended', this.#onEnded);
      await this.#connection.login();
      const watch = await this.#connection.request('show:watch', { model: this.model });
      this.showId = watch.showId;
      this.#chat.attach(this.#connection, watch.showId);
      this.status = `Watching ${watch.model.pseudonym}`;
      const video = this.renderRoot.querySelector('video')!;
      this.#playback = await whepPlay(new URL(watch.whepUrl, location.origin).href, watch.whepToken, (stream) => {
        if (video.srcObject !== stream) video.srcObject = stream;
      });
    } catch (err) {
      // NOT_FOUND is the ordinary case (offline, private, or media not yet at the server): say it plainly.
      this.status = toClientError(err).code === 'NOT_FOUND' ? 'No public show right now.' : messageFor(err);
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#stopEnded?.();
    if (this.showId) void this.#connection?.request('show:leave', { showId: this.showId }).catch(() => undefined);
    void this.#playback?.stop();
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
        ${this.showId ? html`<live-chat .messages=${this.#chat.messages} .error=${this.#chat.error}
          @chat-send=${(e: CustomEvent<{ text: string }>) => void this.#chat.send(e.detail.text)}></live-chat>` : ''}
      </div>
      <section class="private">${this.#privateSection()}</section>`;
  }
}
customElements.define('live-viewer', LiveViewer);

declare global {
  interface HTMLElementTagNameMap { 'live-viewer': LiveViewer }
}

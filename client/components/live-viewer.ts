import { LitElement, css, html } from 'lit';
import { session } from '../lib/session.ts';
import { whepPlay, type WhipSession } from '../lib/whip.ts';
import type { Connection } from '../lib/connection.ts';
import type { DirectoryEntry } from '../../signaling/protocol.ts';
import './live-chat.ts';

/** Watches one model's public show through WHEP, with its chat. */
export class LiveViewer extends LitElement {
  static override properties = { model: { type: String }, status: { state: true }, showId: { state: true } };
  /** The model's identity key (base64url). */
  declare model: string;
  declare status: string;
  declare showId: string;
  #connection: Connection | null = null;
  #playback: WhipSession | null = null;
  #joining = false;

  static override styles = css`
    .stage { display: flex; gap: 16px; flex-wrap: wrap; }
    video { width: 640px; max-width: 100%; background: #000; border-radius: 8px; }
  `;

  constructor() {
    super();
    this.model = '';
    this.status = 'Connecting…';
    this.showId = '';
  }

  #onEnded = (e: { showId: string }) => {
    if (e.showId !== this.showId) return;
    this.status = 'The show has ended.';
    void this.#playback?.stop();
    this.#playback = null;
  };

  /** The show stays open while the model's media drops and comes back: play again once it is public again. */
  #onEntry = (entry: DirectoryEntry) => {
    if (!this.showId || entry.showId !== this.showId || entry.key !== this.model) return;
    if (entry.status === 'public' && !this.#playback) void this.#watch();
    if (entry.status !== 'public' && this.#playback) {
      this.status = 'The video was interrupted: waiting for it to come back…';
      void this.#playback.stop();
      this.#playback = null;
    }
  };

  override async firstUpdated(): Promise<void> {
    try {
      this.#connection = await session('client');
      this.#connection.socket.on('show:ended', this.#onEnded);
      this.#connection.socket.on('directory:update', this.#onEntry);
    } catch (err) {
      this.status = `Cannot watch: ${(err as Error).message}`;
      return;
    }
    await this.#watch();
  }

  async #watch(): Promise<void> {
    if (this.#joining) return;
    this.#joining = true;
    try {
      const watch = await this.#connection!.request('show:watch', { model: this.model });
      this.showId = watch.showId;
      this.status = `Watching ${watch.model.pseudonym}`;
      const video = this.renderRoot.querySelector('video')!;
      this.#playback = await whepPlay(new URL(watch.whepUrl, location.origin).href, watch.whepToken, (stream) => {
        if (video.srcObject !== stream) video.srcObject = stream;
      });
    } catch (err) {
      this.status = `Cannot watch: ${(err as Error).message}`;
    } finally {
      this.#joining = false;
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#connection?.socket.off('show:ended', this.#onEnded);
    this.#connection?.socket.off('directory:update', this.#onEntry);
    if (this.showId) void this.#connection?.request('show:leave', { showId: this.showId }).catch(() => undefined);
    void this.#playback?.stop();
  }

  override render() {
    return html`
      <p id="status">${this.status}</p>
      <div class="stage">
        <video autoplay playsinline muted controls id="remote"></video>
        ${this.showId ? html`<live-chat .connection=${this.#connection} .showId=${this.showId}></live-chat>` : ''}
      </div>`;
  }
}
customElements.define('live-viewer', LiveViewer);

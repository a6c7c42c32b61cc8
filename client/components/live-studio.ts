import { LitElement, css, html } from 'lit';
import { session } from '../lib/session.ts';
import { whipPublish, type WhipSession } from '../lib/whip.ts';
import type { Connection } from '../lib/connection.ts';
import type { DirectoryEntry } from '../../signaling/protocol.ts';
import './live-chat.ts';

/** The model's studio: camera preview, go live (WHIP), end the show. */
export class LiveStudio extends LitElement {
  static override properties = { status: { state: true }, live: { state: true }, showId: { state: true }, pseudonym: { state: true } };
  declare status: string;
  declare live: boolean;
  declare showId: string;
  declare pseudonym: string;
  #connection: Connection | null = null;
  #stream: MediaStream | null = null;
  #publishing: WhipSession | null = null;

  static override styles = css`
    .stage { display: flex; gap: 16px; flex-wrap: wrap; }
    video { width: 640px; max-width: 100%; background: #000; border-radius: 8px; }
    button { font-size: 1.1em; padding: 8px 20px; }
    .golive { background: #ff4d6d; color: white; border: 0; border-radius: 6px; }
  `;

  constructor() {
    super();
    this.status = 'Turn on your camera to start.';
    this.live = false;
    this.showId = '';
    this.pseudonym = '';
  }

  /** The show is public once signaling hears from the SFU that our media arrived; it says so in our entry. */
  #onEntry = (entry: DirectoryEntry) => {
    if (!this.showId || entry.showId !== this.showId || entry.key !== this.#connection?.identity.publicKey) return;
    this.status = entry.status === 'public' ? 'You are live.' : 'Waiting for your video to reach the server…';
  };

  override async firstUpdated(): Promise<void> {
    try {
      this.#connection = await session('model');
      this.#connection.socket.on('directory:update', this.#onEntry);
      this.pseudonym = this.#connection.identity.pseudonym;
    } catch (err) {
      this.status = `Cannot sign in: ${(err as Error).message}`;
    }
  }

  async #camera(): Promise<MediaStream> {
    if (!this.#stream) {
      this.#stream = await navigator.mediaDevices.getUserMedia({
        video: { width: 1280, height: 720, frameRate: 30 },
        audio: true,
      });
      this.renderRoot.querySelector('video')!.srcObject = this.#stream;
    }
    return this.#stream;
  }

  async #goLive(): Promise<void> {
    try {
      const stream = await this.#camera();
      this.status = 'Going live…';
      const show = await this.#connection!.request('show:open', {});
      this.showId = show.showId;
      this.#publishing = await whipPublish(new URL(show.whipUrl, location.origin).href, show.whipToken, stream);
      this.live = true;
      if (this.status === 'Going live…') this.status = 'Waiting for your video to reach the server…';
    } catch (err) {
      this.status = `Cannot go live: ${(err as Error).message}`;
      await this.#end();
    }
  }

  async #end(): Promise<void> {
    const publishing = this.#publishing;
    this.#publishing = null;
    // Signaling ends the show and closes its media at the SFU; the WHIP DELETE is only for when signaling cannot be reached.
    const closed = this.showId ? await this.#connection?.request('show:close', {}).then(() => true, () => false) : false;
    if (closed) publishing?.pc.close();
    else await publishing?.stop();
    this.live = false;
    this.showId = '';
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#connection?.socket.off('directory:update', this.#onEntry);
    void this.#end();
    this.#stream?.getTracks().forEach((t) => t.stop());
  }

  override render() {
    return html`
      <p>Performing as <strong id="pseudonym">${this.pseudonym || '…'}</strong></p>
      <p id="status">${this.status}</p>
      <div class="stage">
        <video autoplay playsinline muted id="preview"></video>
        ${this.showId ? html`<live-chat .connection=${this.#connection} .showId=${this.showId}></live-chat>` : ''}
      </div>
      <p>
        ${this.live
          ? html`<button id="end" @click=${() => this.#end().then(() => { this.status = 'Show ended.'; })}>End show</button>`
          : html`<button id="golive" class="golive" @click=${this.#goLive}>Go live</button>`}
      </p>`;
  }
}
customElements.define('live-studio', LiveStudio);

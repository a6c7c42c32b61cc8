import { LitElement, css, html } from 'lit';
import { whipPublish, type WhipSession } from '../lib/whip.ts';
import type { Session } from '../services/session.ts';
import { consumeServices } from '../context.ts';
import { ChatController } from '../controllers/chat.ts';
import { messageFor } from '../messages.ts';
import { parseAmount } from '../format.ts';
import { PrivateStudioController } from '../controllers/private-studio.ts';
import '../components/live-chat.ts';
import '../components/private-prompt.ts';
import '../components/call-screen.ts';
import '../components/earnings-panel.ts';

/** The model's studio: camera preview, go live (WHIP), end the show. */
export class LiveStudio extends LitElement {
  static override properties = { status: { state: true }, live: { state: true }, showId: { state: true }, pseudonym: { state: true } };
  declare status: string;
  declare live: boolean;
  declare showId: string;
  declare pseudonym: string;
  #services = consumeServices(this);
  #chat = new ChatController(this);
  #private = new PrivateStudioController(this);
  #connection: Session | null = null;
  #stream: MediaStream | null = null;
  #publishing: WhipSession | null = null;

  static override styles = css`
    .stage { display: flex; gap: 16px; flex-wrap: wrap; }
    video { width: 640px; max-width: 100%; background: #000; border-radius: 8px; }
    button { font-size: 1.1em; padding: 8px 20px; }
    .golive { background: #ff4d6d; color: white; border: 0; border-radius: 6px; }
    .private { display: grid; gap: 16px; margin-top: 20px; }
    .price { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: end; }
    .price input { width: 9em; padding: 6px; }
  `;

  constructor() {
    super();
    this.status = 'Turn on your camera to start.';
    this.live = false;
    this.showId = '';
    this.pseudonym = '';
  }

  override async firstUpdated(): Promise<void> {
    try {
      this.#connection = this.#services.value!.session('model');
      this.pseudonym = (await this.#connection.login()).pseudonym;
      void this.#private.attach(this.#services.value!);
    } catch (err) {
      this.status = `Cannot sign in: ${messageFor(err)}`;
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
      this.#chat.attach(this.#connection!, show.showId);
      this.#publishing = await whipPublish(new URL(show.whipUrl, location.origin).href, show.whipToken, stream);
      this.live = true;
      this.status = 'You are live.';
    } catch (err) {
      this.status = `Cannot go live: ${messageFor(err)}`;
      await this.#end();
    }
  }

  async #end(): Promise<void> {
    await this.#publishing?.stop();
    this.#publishing = null;
    if (this.showId) await this.#connection?.request('show:close', {}).catch(() => undefined);
    this.live = false;
    this.showId = '';
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    void this.#end();
    this.#stream?.getTracks().forEach((t) => t.stop());
  }

  #onPrice = (e: Event): void => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const price = parseAmount(form.querySelector<HTMLInputElement>('#price')!.value);
    const minutes = Number(form.querySelector<HTMLInputElement>('#min-minutes')!.value);
    if (price === null || !Number.isInteger(minutes) || minutes < 1) return;
    void this.#private.setPrice(price, minutes);
  };

  #privateSection() {
    const p = this.#private;
    const view = p.view;
    const r = p.request;
    return html`
      ${r ? html`<private-prompt client=${r.client.pseudonym} client-key=${r.client.key} .price=${BigInt(r.pricePerMinute)}
        min-minutes=${r.minMinutes} expires-at=${r.expiresAt} ?busy=${p.answering}
        @private-accept=${(e: CustomEvent<{ direct: boolean }>) => void p.accept(e.detail.direct)}
        @private-decline=${() => void p.decline()}></private-prompt>` : ''}
      ${view.active ? '' : html`<form class="price" @submit=${this.#onPrice}>
        <label>Private show price <input id="price" inputmode="decimal" placeholder="LIVE per minute" required></label>
        <label>Minimum minutes <input id="min-minutes" type="number" min="1" max="240" value="5" required></label>
        <button type="submit" id="set-price">Offer private shows</button>
      </form>`}
      ${p.status ? html`<p role="status" id="private-status">${p.status}</p>` : ''}
      ${view.active ? html`<call-screen .remote=${view.remote} .local=${view.local} .chat=${view.chat} state=${view.state} peer=${view.peer} peer-key=${view.peerKey}
        .minute=${view.minute} .spent=${view.spent} .remaining=${view.remaining} safety-code=${view.safetyCode}
        ended-text=${view.endedText} notice=${view.notice}
        @call-chat-send=${(e: CustomEvent<{ text: string }>) => view.sendChat(e.detail.text)}
        @call-end=${() => view.end()}></call-screen>
        ${view.state === 'ended' ? html`<p><button id="call-dismiss" @click=${() => view.dismiss()}>Back to the studio</button></p>` : ''}` : ''}
      <earnings-panel .rows=${p.rows} .unsettled=${p.unsettled} ?busy=${p.settling} status=${p.earningsStatus}
        @earnings-settle=${() => void p.settle()}></earnings-panel>`;
  }

  override render() {
    if (this.#private.view.active) return html`<section class="private">${this.#privateSection()}</section>`;
    return html`
      <p>Performing as <strong id="pseudonym">${this.pseudonym || '…'}</strong></p>
      <p id="status" role="status">${this.status}</p>
      <div class="stage">
        <video autoplay playsinline muted id="preview"></video>
        ${this.showId ? html`<live-chat .messages=${this.#chat.messages} .error=${this.#chat.error}
          @chat-send=${(e: CustomEvent<{ text: string }>) => void this.#chat.send(e.detail.text)}></live-chat>` : ''}
      </div>
      <p>
        ${this.live
          ? html`<button id="end" @click=${() => this.#end().then(() => { this.status = 'Show ended.'; })}>End show</button>`
          : html`<button id="golive" class="golive" @click=${this.#goLive}>Go live</button>`}
      </p>
      <section class="private">${this.#privateSection()}</section>`;
  }
}
customElements.define('live-studio', LiveStudio);

declare global {
  interface HTMLElementTagNameMap { 'live-studio': LiveStudio }
}

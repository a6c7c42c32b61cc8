import { LitElement, css, html } from 'lit';
import { whipPublish, type WhipSession } from '../lib/whip.ts';
import type { Session } from '../services/session.ts';
import type { DirectoryEntry } from '../../signaling/protocol.ts';
import { consumeServices } from '../context.ts';
import { ChatController } from '../controllers/chat.ts';
import { messageFor } from '../messages.ts';
import { toClientError } from '../errors.ts';
import { parseAmount } from '../format.ts';
import { PrivateStudioController } from '../controllers/private-studio.ts';
import '../components/live-chat.ts';
import '../components/private-prompt.ts';
import '../components/call-screen.ts';
import '../components/earnings-panel.ts';
import '../components/hidden-countries.ts';
import '../components/tip-menu-editor.ts';
import type { HiddenCountriesDetail } from '../components/hidden-countries.ts';

/**
 * The model's studio: camera preview, go live (WHIP), end the show. It says "live" only when signaling says the
 * show is `public` (the SFU has the media, so the directory sends viewers), follows a stall and its end, and
 * shows the private-show prompt, call and earnings.
 */
export class LiveStudio extends LitElement {
  static override properties = {
    status: { state: true }, live: { state: true }, onAir: { state: true }, showId: { state: true }, pseudonym: { state: true },
    hiding: { state: true }, ageRefused: { state: true },
  };
  /** Going live was refused for age verification: the way to the verification page is shown. */
  declare ageRefused: boolean;
  declare status: string;
  /** Publishing over WHIP (the End button is shown). */
  declare live: boolean;
  /** The show is public: its media reached the server and the directory lists it. */
  declare onAir: boolean;
  declare showId: string;
  declare pseudonym: string;
  /** The countries hidden from, what saving them said, and whether a save runs. */
  declare hiding: { countries: string[]; status: string; busy: boolean };
  #services = consumeServices(this);
  #chat = new ChatController(this);
  #private = new PrivateStudioController(this);
  #connection: Session | null = null;
  #stream: MediaStream | null = null;
  #publishing: WhipSession | null = null;
  #myKey = '';
  #stopListening: (() => void)[] = [];

  static override styles = css`
    .stage { display: flex; gap: 16px; flex-wrap: wrap; }
    video { width: 640px; max-width: 100%; background: #000; border-radius: 8px; }
    button { font-size: 1.1em; padding: 8px 20px; }
    .golive { background: #c9184a; color: white; border: 0; border-radius: 6px; }
    .private { display: grid; gap: 16px; margin-top: 20px; }
    .price { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: end; }
    .price input { width: 9em; padding: 6px; }
  `;

  constructor() {
    super();
    this.status = 'Turn on your camera to start.';
    this.live = false;
    this.onAir = false;
    this.showId = '';
    this.pseudonym = '';
    this.hiding = { countries: [], status: '', busy: false };
    this.ageRefused = false;
  }

  override async firstUpdated(): Promise<void> {
    try {
      this.#connection = this.#services.value!.session('model');
      // The model's sockets are in the show's room: its entry, stalls and end arrive here.
      this.#stopListening.push(
        this.#connection.listen('directory:update', (e) => this.#onEntry(e)),
        this.#connection.listen('show:stalled', (e) => this.#onStalled(e)),
        this.#connection.listen('show:ended', (e) => void this.#onEnded(e)),
      );
      const info = await this.#connection.login();
      this.#myKey = info.key;
      this.pseudonym = info.pseudonym;
      void this.#private.attach(this.#services.value!);
      void this.#connection.request('regions:get', {}).then(
        ({ countries }) => { this.hiding = { ...this.hiding, countries }; },
        (err: unknown) => { this.hiding = { ...this.hiding, status: messageFor(err) }; });
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
      // The directory may already have said public while the WHIP answer was on its way.
      if (!this.onAir) this.status = 'Sending your video to the server…';
    } catch (err) {
      this.status = `Cannot go live: ${messageFor(err)}`;
      this.ageRefused = toClientError(err).code.startsWith('AGE_');
      await this.#end();
    }
  }

  async #end(): Promise<void> {
    await this.#publishing?.stop();
    this.#publishing = null;
    if (this.showId) await this.#connection?.request('show:close', {}).catch(() => undefined);
    this.live = false;
    this.onAir = false;
    this.showId = '';
  }

  /** `public` for this show: viewers can watch. Back to `online` with the show open: its media stopped. */
  #onEntry(e: DirectoryEntry): void {
    if (e.key !== this.#myKey || !this.showId || e.showId !== this.showId) return;
    const onAir = e.status === 'public';
    if (onAir === this.onAir) return;
    this.onAir = onAir;
    if (onAir) this.status = 'You are live.';
    else if (this.live) this.status = 'Your video is not reaching the server: the directory does not list you until it does.';
  }

  #onStalled(e: { showId: string; stalled: boolean }): void {
    if (e.showId !== this.showId || !e.stalled) return;
    this.onAir = false;
    this.status = 'Your video is not reaching the server: the directory does not list you until it does.';
  }

  async #onEnded(e: { showId: string; reason: string }): Promise<void> {
    if (e.showId !== this.showId) return;
    this.showId = ''; // ended by the server: nothing to close there
    await this.#end();
    this.status = e.reason === 'disconnected' ? 'Your show ended: your video stopped reaching the server.' : 'Show ended.';
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const off of this.#stopListening.splice(0)) off();
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

  #onHidden = async (e: CustomEvent<HiddenCountriesDetail>): Promise<void> => {
    this.hiding = { ...this.hiding, busy: true };
    try {
      const { countries } = await this.#connection!.request('regions:set', { countries: e.detail.countries });
      this.hiding = { countries, status: 'Saved: it applies at once.', busy: false };
    } catch (err) {
      this.hiding = { ...this.hiding, status: messageFor(err), busy: false };
    }
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
        @earnings-settle=${() => void p.settle()}></earnings-panel>
      <p><a href="#/earnings" id="to-earnings">All earnings, per session and per day</a></p>`;
  }

  override render() {
    if (this.#private.view.active) return html`<section class="private">${this.#privateSection()}</section>`;
    return html`
      <p>Performing as <strong id="pseudonym">${this.pseudonym || '…'}</strong></p>
      <p id="status" role="status">${this.status}</p>
      ${this.ageRefused ? html`<p><a href="#/verify" id="to-verify">Verify your age</a></p>` : ''}
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
      <section class="private">${this.#privateSection()}</section>
      <hidden-countries .countries=${this.hiding.countries} ?busy=${this.hiding.busy} status=${this.hiding.status}
        @hidden-countries-change=${this.#onHidden}></hidden-countries>
      <tip-menu-editor model-key=${this.#myKey} @tip-editor-request=${(e: CustomEvent<{ run: (s: Session) => Promise<void> }>) => { if (this.#connection) void e.detail.run(this.#connection); }}></tip-menu-editor>`;
  }
}
customElements.define('live-studio', LiveStudio);

declare global {
  interface HTMLElementTagNameMap { 'live-studio': LiveStudio }
}

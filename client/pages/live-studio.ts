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
import '../components/device-picker.ts';
import '../components/ban-list.ts';
import '../components/profile-editor.ts';
import type { HiddenCountriesDetail } from '../components/hidden-countries.ts';
import type { DeviceChooseDetail } from '../components/device-picker.ts';
import type { ChatBanDetail, ChatMuteDetail, ChatSlowModeDetail } from '../components/live-chat.ts';
import type { ProfileChecked } from '../lib/profile-fields.ts';
import { MediaDeviceService, type DeviceChoice, type MediaDevicesState } from '../services/media-devices.ts';
import { ProfileController } from '../controllers/profile.ts';

/**
 * The model's studio: camera and microphone check (preview, level, device choice; another device while live
 * replaces the track on the WHIP connection, the show goes on), go live (WHIP), end the show. It says "live"
 * only when signaling says the show is `public` (the SFU has the media, so the directory sends viewers),
 * follows a stall and its end, moderates the chat (mute, ban, unban, slow mode), edits the stage profile and
 * price, and shows the private-show prompt, call and earnings.
 */
export class LiveStudio extends LitElement {
  static override properties = {
    status: { state: true }, live: { state: true }, onAir: { state: true }, showId: { state: true }, pseudonym: { state: true },
    hiding: { state: true }, ageRefused: { state: true }, devices: { state: true },
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
  /** What the device picker shows. */
  declare devices: { state: MediaDevicesState; cameras: DeviceChoice[]; microphones: DeviceChoice[]; cameraId: string; microphoneId: string; level: number; error: string };
  #services = consumeServices(this);
  #chat = new ChatController(this);
  #private = new PrivateStudioController(this);
  #profile = new ProfileController(this, this.#private);
  #connection: Session | null = null;
  #media: MediaDeviceService | null = null;
  #publishing: WhipSession | null = null;
  #myKey = '';
  #stopListening: (() => void)[] = [];

  static override styles = css`
    .stage { display: flex; gap: 16px; flex-wrap: wrap; }
    button { font-size: 1.1em; padding: 8px 20px; }
    .golive { background: #c9184a; color: white; border: 0; border-radius: 6px; }
    a { color: #8ab4ff; }
    .private { display: grid; gap: 16px; margin-top: 20px; }
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
    this.devices = { state: 'idle', cameras: [], microphones: [], cameraId: '', microphoneId: '', level: 0, error: '' };
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.#media) return;
    const media = this.#media = new MediaDeviceService();
    const sync = () => {
      this.devices = { ...this.devices, state: media.state, cameras: media.cameras, microphones: media.microphones, cameraId: media.cameraId, microphoneId: media.microphoneId };
    };
    media.events.on('state', sync);
    media.events.on('devices', sync);
    media.events.on('level', (level) => { if (Math.abs(level - this.devices.level) > 0.01) this.devices = { ...this.devices, level }; });
    media.events.on('track', (track, kind) => { sync(); void this.#replaceTrack(track, kind); });
    void media.refresh();
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
      void this.#profile.load(this.#connection, info.key);
      void this.#connection.request('regions:get', {}).then(
        ({ countries }) => { this.hiding = { ...this.hiding, countries }; },
        (err: unknown) => { this.hiding = { ...this.hiding, status: messageFor(err) }; });
    } catch (err) {
      this.status = `Cannot sign in: ${messageFor(err)}`;
    }
  }

  /** The chosen camera and microphone, opened once; a refusal shows in the picker with what to do. */
  async #camera(): Promise<MediaStream> {
    try {
      const stream = await this.#media!.open();
      this.devices = { ...this.devices, error: '' };
      return stream;
    } catch (err) {
      this.devices = { ...this.devices, error: messageFor(err) };
      throw err;
    }
  }

  #onChoose = async (e: CustomEvent<DeviceChooseDetail>): Promise<void> => {
    const media = this.#media!;
    try {
      if (e.detail.kind === 'camera') await media.useCamera(e.detail.deviceId);
      else await media.useMicrophone(e.detail.deviceId);
      this.devices = { ...this.devices, error: '' };
    } catch (err) {
      this.devices = { ...this.devices, error: messageFor(err) };
    }
  };

  /** Another device while live: the WHIP connection sends the new track, the show goes on (no new offer). */
  async #replaceTrack(track: MediaStreamTrack, kind: 'audio' | 'video'): Promise<void> {
    const pc = this.#publishing?.pc;
    if (!pc) return;
    const transceiver = pc.getTransceivers().find((t) => t.receiver.track.kind === kind && t.direction !== 'inactive');
    await transceiver?.sender.replaceTrack(track).catch((err: unknown) => {
      this.devices = { ...this.devices, error: messageFor(err) };
    });
  }

  async #goLive(): Promise<void> {
    try {
      const stream = await this.#camera();
      this.status = 'Going live…';
      const show = await this.#connection!.request('show:open', {});
      this.showId = show.showId;
      this.#chat.attach(this.#connection!, show.showId, { moderator: true });
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
    this.#media?.close();
    this.#media = null;
  }

  #onProfile = (e: CustomEvent<ProfileChecked>): void => {
    if (this.#connection) void this.#profile.save(this.#connection, e.detail);
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
      ${view.active ? '' : html`<profile-editor .form=${this.#profile.form} state=${this.#profile.state} status=${this.#profile.status}
        @profile-save=${this.#onProfile}></profile-editor>`}
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
    const d = this.devices;
    return html`
      <p>Performing as <strong id="pseudonym">${this.pseudonym || '…'}</strong></p>
      <p id="status" role="status">${this.status}</p>
      ${this.ageRefused ? html`<p><a href="#/verify" id="to-verify">Verify your age</a></p>` : ''}
      <div class="stage">
        <device-picker state=${d.state} .stream=${this.#media?.stream ?? null} .cameras=${d.cameras} .microphones=${d.microphones}
          camera-id=${d.cameraId} microphone-id=${d.microphoneId} level=${d.level} error=${d.error}
          @device-open=${() => void this.#camera().catch(() => undefined)} @device-choose=${this.#onChoose}></device-picker>
        ${this.showId ? html`<live-chat .messages=${this.#chat.messages} .error=${this.#chat.error} notice=${this.#chat.notice} .moderation=${this.#chat.moderation}
          @chat-send=${(e: CustomEvent<{ text: string }>) => void this.#chat.send(e.detail.text)}
          @chat-mute=${(e: CustomEvent<ChatMuteDetail>) => void this.#chat.mute(e.detail.target, e.detail.seconds)}
          @chat-ban=${(e: CustomEvent<ChatBanDetail>) => void this.#chat.ban(e.detail.target)}
          @chat-slow-mode=${(e: CustomEvent<ChatSlowModeDetail>) => void this.#chat.slowMode(e.detail.seconds)}></live-chat>` : ''}
      </div>
      <ban-list .bans=${this.#chat.bans} @ban-list-unban=${(e: CustomEvent<{ target: string }>) => void this.#chat.unban(e.detail.target)}></ban-list>
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

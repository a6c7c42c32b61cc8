import { LitElement, css, html, nothing } from 'lit';
import type { DeviceChoice, MediaDevicesState } from '../services/media-devices.ts';

/** Detail of `device-choose`. */
export interface DeviceChooseDetail { kind: 'camera' | 'microphone'; deviceId: string }

/**
 * The camera and microphone check of the studio: a live preview, the microphone's level, a choice of each
 * device, and what to do when the permission was refused or no device works.
 *
 * @fires device-open - the model asks to turn the camera and microphone on
 * @fires device-choose - the model picked another device; detail `{ kind, deviceId }`
 */
export class DevicePicker extends LitElement {
  static override properties = {
    state: { type: String }, stream: { attribute: false }, cameras: { attribute: false }, microphones: { attribute: false },
    cameraId: { type: String, attribute: 'camera-id' }, microphoneId: { type: String, attribute: 'microphone-id' },
    level: { type: Number }, error: { type: String },
  };
  /** The devices' state (services/media-devices.ts). */
  declare state: MediaDevicesState;
  /** The stream to preview, or null. */
  declare stream: MediaStream | null;
  declare cameras: DeviceChoice[];
  declare microphones: DeviceChoice[];
  /** The devices in use. */
  declare cameraId: string;
  declare microphoneId: string;
  /** Microphone level, 0..1. */
  declare level: number;
  /** Plain words of the last failure ('' for none). */
  declare error: string;

  static override styles = css`
    :host { display: grid; gap: 8px; max-width: 640px; }
    video { width: 640px; max-width: 100%; aspect-ratio: 16 / 9; background: #000; border-radius: 8px; }
    .choices { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; }
    select { max-width: 18em; padding: 4px; }
    .meter { display: flex; gap: 6px; align-items: center; }
    meter { width: 10em; height: 1em; }
    .denied { border: 1px solid #ff4d6d; border-radius: 8px; padding: 8px 12px; }
    :focus-visible { outline: 2px solid #8ab4ff; outline-offset: 2px; }
  `;

  constructor() {
    super();
    this.state = 'idle';
    this.stream = null;
    this.cameras = [];
    this.microphones = [];
    this.cameraId = '';
    this.microphoneId = '';
    this.level = 0;
    this.error = '';
  }

  #choose(kind: 'camera' | 'microphone', e: Event): void {
    const deviceId = (e.target as HTMLSelectElement).value;
    this.dispatchEvent(new CustomEvent<DeviceChooseDetail>('device-choose', { detail: { kind, deviceId }, bubbles: true, composed: true }));
  }

  #select(kind: 'camera' | 'microphone', list: DeviceChoice[], current: string) {
    const label = kind === 'camera' ? 'Camera' : 'Microphone';
    return html`<label>${label}
      <select id=${`${kind}-select`} ?disabled=${this.state !== 'ready' || list.length === 0} @change=${(e: Event) => this.#choose(kind, e)}>
        ${list.length === 0 ? html`<option value="">No ${label.toLowerCase()} found</option>` : nothing}
        ${list.map((d) => html`<option value=${d.deviceId} ?selected=${d.deviceId === current}>${d.label}</option>`)}
      </select></label>`;
  }

  #notice() {
    if (this.state === 'denied') {
      return html`<div class="denied" role="alert" id="devices-denied">
        <p><strong>Camera and microphone are blocked for this site.</strong></p>
        <p>Allow them in your browser’s site settings (the camera or lock icon next to the address), then press “Try again”. Nothing is sent until you go live.</p>
        <button type="button" id="devices-retry" @click=${this.#open}>Try again</button></div>`;
    }
    if (this.state === 'unavailable') {
      return html`<div class="denied" role="alert" id="devices-unavailable"><p>${this.error || 'No camera or microphone could be opened.'}</p>
        <button type="button" id="devices-retry" @click=${this.#open}>Try again</button></div>`;
    }
    if (this.state === 'idle') {
      return html`<p><button type="button" id="camera-on" @click=${this.#open}>Turn on camera and microphone</button>
        Check your picture and sound before you go live.</p>`;
    }
    if (this.error) return html`<p role="alert" id="devices-error">${this.error}</p>`;
    return nothing;
  }

  #open = (): void => {
    this.dispatchEvent(new CustomEvent('device-open', { bubbles: true, composed: true }));
  };

  override render() {
    const percent = Math.round(this.level * 100);
    return html`
      <video id="preview" autoplay playsinline muted .srcObject=${this.stream} aria-label="Your camera preview"></video>
      ${this.#notice()}
      <div class="choices">
        ${this.#select('camera', this.cameras, this.cameraId)}
        ${this.#select('microphone', this.microphones, this.microphoneId)}
        <span class="meter"><span id="mic-level-label">Microphone level</span>
          <meter id="mic-level" min="0" max="1" low="0.05" high="0.9" optimum="0.3" .value=${this.level} aria-labelledby="mic-level-label"
            aria-valuetext=${`${percent}%`}></meter></span>
      </div>`;
  }
}
customElements.define('device-picker', DevicePicker);

declare global {
  interface HTMLElementTagNameMap { 'device-picker': DevicePicker }
  interface HTMLElementEventMap { 'device-choose': CustomEvent<DeviceChooseDetail>; 'device-open': CustomEvent }
}

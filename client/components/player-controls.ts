import { LitElement, css, html } from 'lit';
import type { LayerChoice } from '../lib/whip.ts';

/** Detail of `player-quality`. */
export interface PlayerQualityDetail { layer: LayerChoice }
/** Detail of `player-volume`. */
export interface PlayerVolumeDetail { volume: number }
/** Detail of `player-mute`. */
export interface PlayerMuteDetail { muted: boolean }

const QUALITIES: readonly { layer: LayerChoice; label: string }[] = [
  { layer: 'auto', label: 'Auto' },
  { layer: 'high', label: 'High' },
  { layer: 'medium', label: 'Medium' },
  { layer: 'low', label: 'Low (saves data)' },
];

/**
 * The player's controls under the video: mute, volume, quality, full screen. Every control is a native input or
 * button with a label, so the keyboard and screen readers reach them as they are.
 *
 * @fires player-quality - the person chose a quality; detail `{ layer }`
 * @fires player-volume - the volume slider moved; detail `{ volume }` from 0 to 1
 * @fires player-mute - mute or unmute; detail `{ muted }`
 * @fires player-fullscreen - enter or leave full screen
 */
export class PlayerControls extends LitElement {
  static override properties = {
    quality: { type: String }, volume: { type: Number }, muted: { type: Boolean },
    fullscreen: { type: Boolean }, disabled: { type: Boolean },
  };
  /** The quality in force. */
  declare quality: LayerChoice;
  /** 0 to 1. */
  declare volume: number;
  declare muted: boolean;
  /** True while the player fills the screen. */
  declare fullscreen: boolean;
  /** No media to control (loading, ended): quality cannot change. */
  declare disabled: boolean;

  static override styles = css`
    :host { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; padding: 8px; background: #15151d; border-radius: 0 0 8px 8px; }
    button, select { font: inherit; min-height: 44px; padding: 0 14px; border-radius: 6px; border: 1px solid #555; background: #2c2c3d; color: #eee; cursor: pointer; }
    button:focus-visible, select:focus-visible, input:focus-visible { outline: 2px solid #8ab4ff; outline-offset: 2px; }
    label { display: flex; align-items: center; gap: 6px; color: #ccc; }
    input[type='range'] { width: 110px; min-height: 44px; accent-color: #ff4d6d; }
    .spacer { flex: 1; }
  `;

  constructor() {
    super();
    this.quality = 'auto';
    this.volume = 1;
    this.muted = true;
    this.fullscreen = false;
    this.disabled = false;
  }

  #fire<T>(name: string, detail: T): void {
    this.dispatchEvent(new CustomEvent<T>(name, { detail, bubbles: true, composed: true }));
  }

  override render() {
    const percent = Math.round(this.volume * 100);
    return html`
      <button id="mute" aria-pressed=${this.muted ? 'true' : 'false'} @click=${() => this.#fire<PlayerMuteDetail>('player-mute', { muted: !this.muted })}>
        ${this.muted ? 'Unmute' : 'Mute'}</button>
      <label>Volume <input id="volume" type="range" min="0" max="100" step="5" .value=${String(percent)}
        aria-valuetext=${`${percent} percent${this.muted ? ', muted' : ''}`}
        @input=${(e: Event) => this.#fire<PlayerVolumeDetail>('player-volume', { volume: Number((e.target as HTMLInputElement).value) / 100 })}></label>
      <span class="spacer"></span>
      <label>Quality <select id="quality" ?disabled=${this.disabled}
        @change=${(e: Event) => this.#fire<PlayerQualityDetail>('player-quality', { layer: (e.target as HTMLSelectElement).value as LayerChoice })}>
        ${QUALITIES.map((q) => html`<option value=${q.layer} ?selected=${q.layer === this.quality}>${q.label}</option>`)}
      </select></label>
      <button id="fullscreen" @click=${() => this.#fire('player-fullscreen', {})}>${this.fullscreen ? 'Exit full screen' : 'Full screen'}</button>`;
  }
}
customElements.define('player-controls', PlayerControls);

declare global {
  interface HTMLElementTagNameMap { 'player-controls': PlayerControls }
  interface HTMLElementEventMap {
    'player-quality': CustomEvent<PlayerQualityDetail>;
    'player-volume': CustomEvent<PlayerVolumeDetail>;
    'player-mute': CustomEvent<PlayerMuteDetail>;
  }
}

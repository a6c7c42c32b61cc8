import { LitElement, css, html, nothing } from 'lit';
import { formatAmount } from '../format.ts';
import './identity-badge.ts';

/** Detail of `private-accept`. */
export interface PrivateAcceptDetail { direct: boolean }

/**
 * A client's request for a private show, as the model sees it in the studio: who (pseudonym and their safety
 * identity), the price and minutes, the time left to answer, a direct-mode opt-in with its warning, accept or
 * decline. The page plays a sound when it appears.
 *
 * @fires private-accept - take the request; detail `{ direct }`
 * @fires private-decline - refuse it
 */
export class PrivatePrompt extends LitElement {
  static override properties = {
    client: { type: String }, clientKey: { type: String, attribute: 'client-key' }, price: { attribute: false },
    minMinutes: { type: Number, attribute: 'min-minutes' }, expiresAt: { type: Number, attribute: 'expires-at' },
    busy: { type: Boolean }, direct: { state: true }, now: { state: true },
  };
  /** The client's pseudonym. */
  declare client: string;
  /** The client's full key (its safety identity). */
  declare clientKey: string;
  declare price: bigint;
  declare minMinutes: number;
  /** When the request expires (ms since the epoch). */
  declare expiresAt: number;
  /** An answer is being sent. */
  declare busy: boolean;
  declare direct: boolean;
  declare now: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  static override styles = css`
    :host { display: block; background: #2b1f33; border: 2px solid #ff4d6d; border-radius: 10px; padding: 16px; max-width: 560px; }
    h3 { margin: 0 0 8px; }
    .key { font-family: ui-monospace, monospace; font-size: .8em; word-break: break-all; color: #bbb; }
    .warn { color: #ffcf70; font-size: .9em; margin: 4px 0 0 24px; }
    .actions { display: flex; gap: 12px; margin-top: 12px; }
    button { font-size: 1.05em; padding: 8px 18px; border-radius: 6px; border: 0; cursor: pointer; }
    .accept { background: #2fbf71; color: #fff; }
    .decline { background: #444; color: #fff; }
  `;

  constructor() {
    super();
    this.client = '';
    this.clientKey = '';
    this.price = 0n;
    this.minMinutes = 1;
    this.expiresAt = 0;
    this.busy = false;
    this.direct = false;
    this.now = Date.now();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#timer = setInterval(() => { this.now = Date.now(); }, 1_000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.#timer);
  }

  #fire<T>(name: string, detail?: T): void {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }

  override render() {
    const left = Math.max(0, Math.ceil((this.expiresAt - this.now) / 1000));
    return html`
      <h3 id="prompt-title">Private show request from <span id="prompt-client">${this.client}</span></h3>
      <p id="prompt-terms"><strong>${formatAmount(this.price)}</strong> LIVE per minute, at least <strong>${this.minMinutes}</strong>
        minute${this.minMinutes === 1 ? '' : 's'} (${formatAmount(this.price * BigInt(this.minMinutes))} LIVE guaranteed by their deposit).</p>
      <p><identity-badge id="prompt-identity" public-key=${this.clientKey}></identity-badge></p>
      <p>Their identity key: <span class="key" id="prompt-key">${this.clientKey}</span></p>
      <p>${left > 0 ? `Answer within ${left} s.` : 'This request is expiring.'}</p>
      <label><input type="checkbox" id="prompt-direct" .checked=${this.direct} @change=${(e: Event) => { this.direct = (e.target as HTMLInputElement).checked; }}>
        Direct connection (faster, not relayed)</label>
      ${this.direct ? html`<p class="warn">The other person will see your IP address. Only choose this if you trust them.</p>` : nothing}
      <div class="actions">
        <button class="accept" id="prompt-accept" ?disabled=${this.busy} @click=${() => this.#fire<PrivateAcceptDetail>('private-accept', { direct: this.direct })}>Accept</button>
        <button class="decline" id="prompt-decline" ?disabled=${this.busy} @click=${() => this.#fire('private-decline')}>Decline</button>
      </div>`;
  }
}
customElements.define('private-prompt', PrivatePrompt);

declare global {
  interface HTMLElementTagNameMap { 'private-prompt': PrivatePrompt }
}

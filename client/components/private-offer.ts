import { LitElement, css, html, nothing } from 'lit';
import { formatAmount } from '../format.ts';
import './identity-badge.ts';

/** Detail of `private-request`. */
export interface PrivateRequestDetail { direct: boolean }

/** The deposit as the offer needs it: what it can still pay, and whether there is one. */
export interface OfferDeposit { open: boolean; available: bigint }

/**
 * A model's private show, as a client sees it on the watch page: the price per minute and the minimum, whether
 * the deposit with this model covers the minimum (if not, a plain "insufficient deposit" state that points to
 * the wallet), the direct-mode opt-in with its warning, and the request button.
 *
 * @fires private-request - ask for the private show; detail `{ direct }`
 * @fires private-cancel - withdraw a pending request
 */
export class PrivateOffer extends LitElement {
  static override properties = {
    model: { type: String }, modelKey: { type: String, attribute: 'model-key' }, price: { attribute: false },
    minMinutes: { type: Number, attribute: 'min-minutes' }, deposit: { attribute: false }, status: { type: String },
    pending: { type: Boolean }, direct: { state: true },
  };
  /** The model's pseudonym. */
  declare model: string;
  /** The model's key (for the wallet link). */
  declare modelKey: string;
  /** Price per minute, base units (0: no private shows). */
  declare price: bigint;
  declare minMinutes: number;
  /** The client's deposit with this model, or null while unknown. */
  declare deposit: OfferDeposit | null;
  /** A line of status or error, in plain words. */
  declare status: string;
  /** A request is out, waiting for the model. */
  declare pending: boolean;
  declare direct: boolean;

  static override styles = css`
    :host { display: block; background: #1f1f2b; border-radius: 8px; padding: 16px; max-width: 640px; }
    h3 { margin: 0 0 8px; }
    .warn { color: #ffcf70; font-size: .9em; margin: 4px 0 0 24px; }
    .short { background: #2a1f24; border-left: 4px solid #ffcf70; padding: 8px 12px; border-radius: 4px; }
    a { color: #8ab4ff; }
    button { font-size: 1.05em; padding: 8px 18px; border-radius: 6px; border: 0; background: #c9184a; color: #fff; cursor: pointer; }
    button[disabled] { opacity: .5; cursor: default; }
    label { display: block; margin: 10px 0; }
  `;

  constructor() {
    super();
    this.model = '';
    this.modelKey = '';
    this.price = 0n;
    this.minMinutes = 1;
    this.deposit = null;
    this.status = '';
    this.pending = false;
    this.direct = false;
  }

  #fire<T>(name: string, detail?: T): void {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }

  override render() {
    if (this.price === 0n) return html`<p>${this.model || 'This model'} does not offer private shows yet.</p>`;
    const minimum = this.price * BigInt(this.minMinutes);
    const short = this.deposit !== null && this.deposit.available < minimum;
    return html`
      <h3>Private show with ${this.model}</h3>
      ${this.modelKey ? html`<p><identity-badge id="offer-identity" public-key=${this.modelKey}></identity-badge></p>` : nothing}
      <p><strong id="private-price">${formatAmount(this.price)}</strong> LIVE per minute, at least
        <strong id="private-min">${this.minMinutes}</strong> minute${this.minMinutes === 1 ? '' : 's'}
        (${formatAmount(minimum)} LIVE). You pay minute by minute from your deposit and can end at any time.</p>
      ${this.deposit === null ? html`<p>Checking your deposit…</p>` : short ? html`
        <p class="short" id="private-insufficient" role="alert">Insufficient deposit: you have ${formatAmount(this.deposit.available)} LIVE
          ${this.deposit.open ? 'left in your deposit' : '(no deposit yet)'} with ${this.model}; the minimum is ${formatAmount(minimum)} LIVE.
          <a href=${`#/wallet/${this.modelKey}`} id="private-topup">${this.deposit.open ? 'Top up' : 'Make a deposit'} in your wallet</a>.</p>`
        : html`<p>Your deposit: ${formatAmount(this.deposit.available)} LIVE available.</p>`}
      <label><input type="checkbox" id="private-direct" .checked=${this.direct} @change=${(e: Event) => { this.direct = (e.target as HTMLInputElement).checked; }}>
        Direct connection (faster, not relayed)</label>
      ${this.direct ? html`<p class="warn" id="private-direct-warning">The other person will see your IP address. Only choose this if you trust them.</p>` : nothing}
      <p>${this.pending
        ? html`<button id="private-cancel" @click=${() => this.#fire('private-cancel')}>Cancel request</button>`
        : html`<button id="private-request" ?disabled=${this.deposit === null || short} @click=${() => this.#fire<PrivateRequestDetail>('private-request', { direct: this.direct })}>Request private show</button>`}</p>
      ${this.status ? html`<p role="status" id="private-status">${this.status}</p>` : nothing}`;
  }
}
customElements.define('private-offer', PrivateOffer);

declare global {
  interface HTMLElementTagNameMap { 'private-offer': PrivateOffer }
}

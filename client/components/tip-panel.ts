import { LitElement, css, html } from 'lit';
import type { TipMenuItem } from '../../signaling/protocol.ts';
import { formatAmount, parseAmount } from '../format.ts';
import { MESSAGES } from '../messages.ts';

/** Detail of `tip-send`. */
export interface TipSendDetail {
  /** Base units, above zero. */
  amount: bigint;
  /** The menu action's label, when the tip is one. */
  item?: string;
}

/**
 * Tipping in a public show: the model's tip menu (one button per priced action) and a field for any amount. The
 * page signs and sends; this element only says what the person chose and shows how it went.
 *
 * @fires tip-send - a tip to send; detail `{ amount, item? }`
 */
export class TipPanel extends LitElement {
  static override properties = {
    menu: { attribute: false }, busy: { type: Boolean }, status: { type: String },
    walletLink: { type: String, attribute: 'wallet-link' }, invalid: { state: true },
  };
  /** The model's priced actions. */
  declare menu: TipMenuItem[];
  /** A tip is on its way: the buttons wait. */
  declare busy: boolean;
  /** What the last tip did, in plain words. */
  declare status: string;
  /** Where to add to the deposit, shown when the last tip lacked one ('' hides it). */
  declare walletLink: string;
  declare invalid: boolean;

  static override styles = css`
    :host { display: block; background: #1f1f2b; border-radius: 8px; padding: 12px 14px; }
    h3 { margin: 0 0 8px; font-size: 1em; }
    ul { list-style: none; padding: 0; margin: 0 0 10px; display: flex; flex-wrap: wrap; gap: 8px; }
    button { font: inherit; min-height: 44px; padding: 0 14px; border-radius: 6px; border: 1px solid #555; background: #2c2c3d; color: #eee; cursor: pointer; }
    button.primary { background: #c9184a; border-color: #c9184a; color: white; }
    button:disabled { opacity: 0.6; cursor: default; }
    button:focus-visible, input:focus-visible, a:focus-visible { outline: 2px solid #8ab4ff; outline-offset: 2px; }
    form { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; }
    label { display: flex; flex-direction: column; gap: 4px; color: #ccc; }
    input { font: inherit; padding: 8px; border-radius: 6px; border: 1px solid #555; background: #0e0e14; color: #eee; width: 8em; min-height: 28px; }
    input[aria-invalid='true'] { border-color: #ff4d6d; }
    .price { color: #ffb86b; margin-left: 6px; }
    p { margin: 8px 0 0; }
    a { color: #8ab4ff; }
  `;

  constructor() {
    super();
    this.menu = [];
    this.busy = false;
    this.status = '';
    this.walletLink = '';
    this.invalid = false;
  }

  #send(detail: TipSendDetail): void {
    this.dispatchEvent(new CustomEvent<TipSendDetail>('tip-send', { detail, bubbles: true, composed: true }));
  }

  #any(e: SubmitEvent): void {
    e.preventDefault();
    const input = this.renderRoot.querySelector<HTMLInputElement>('#tip-amount')!;
    const amount = parseAmount(input.value);
    this.invalid = amount === null || amount <= 0n;
    if (amount === null || amount <= 0n) return;
    input.value = '';
    this.#send({ amount });
  }

  override render() {
    return html`
      <h3>Tip the model</h3>
      ${this.menu.length ? html`<ul aria-label="Tip menu">${this.menu.map((i) => html`<li>
        <button class="menu-item" ?disabled=${this.busy} data-label=${i.label}
          aria-label=${`${i.label}, tip ${formatAmount(BigInt(i.amount))} LIVE`}
          @click=${() => this.#send({ amount: BigInt(i.amount), item: i.label })}>${i.label}<span class="price">${formatAmount(BigInt(i.amount))} LIVE</span></button></li>`)}</ul>` : ''}
      <form @submit=${this.#any}>
        <label for="tip-amount">Any amount (LIVE)</label>
        <input id="tip-amount" inputmode="decimal" placeholder="e.g. 2.5" aria-invalid=${this.invalid ? 'true' : 'false'}
          aria-describedby="tip-help">
        <button type="submit" class="primary" id="tip-send" ?disabled=${this.busy}>Tip</button>
      </form>
      <p id="tip-help" class=${this.invalid ? 'error' : ''}>${this.invalid ? MESSAGES.BAD_AMOUNT : ''}</p>
      ${this.status ? html`<p id="tip-status" role="status">${this.status}
        ${this.walletLink ? html` <a id="tip-wallet" href=${this.walletLink}>Add to your deposit</a>` : ''}</p>` : ''}`;
  }
}
customElements.define('tip-panel', TipPanel);

declare global {
  interface HTMLElementTagNameMap { 'tip-panel': TipPanel }
  interface HTMLElementEventMap { 'tip-send': CustomEvent<TipSendDetail> }
}

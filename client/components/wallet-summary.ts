import { LitElement, css, html } from 'lit';
import type { WalletKind, WalletState } from '../services/wallet.ts';
import { formatAmount } from '../format.ts';

/** Detail of `wallet-use`. */
export interface WalletUseDetail { kind: WalletKind }

/**
 * The wallet's address and balances, with its actions: test funds, linking to the identity, and the choice
 * between the in-browser wallet and an injected one.
 *
 * @fires wallet-faucet - the person asks for test funds
 * @fires wallet-bind - the person links the wallet to their identity
 * @fires wallet-use - the person switches wallet; detail `{ kind }`
 */
export class WalletSummary extends LitElement {
  static override properties = {
    state: { attribute: false },
    faucet: { type: Boolean },
    injectedAvailable: { type: Boolean, attribute: 'injected-available' },
    busy: { type: String },
  };
  /** The wallet to show. */
  declare state: WalletState;
  /** True when the chain has a faucet (the demo chain). */
  declare faucet: boolean;
  /** True when the browser has its own wallet (window.ethereum). */
  declare injectedAvailable: boolean;
  /** The action in progress ('' for none): its button says so and every action waits. */
  declare busy: string;

  static override styles = css`
    :host { display: block; background: #1f1f2b; border-radius: 8px; padding: 16px; }
    h3 { margin: 0 0 8px; font-size: 1em; color: #bbb; font-weight: normal; }
    .address { font-family: ui-monospace, monospace; word-break: break-all; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 12px 0; }
    dt { color: #999; }
    dd { margin: 0; font-variant-numeric: tabular-nums; }
    .big { font-size: 1.6em; font-weight: bold; }
    .actions { display: flex; flex-wrap: wrap; gap: 8px; }
    button { font: inherit; padding: 8px 16px; border-radius: 6px; border: 1px solid #555; background: #2c2c3d; color: #eee; cursor: pointer; min-height: 44px; }
    button:hover:not(:disabled) { background: #3a3a50; }
    button:disabled { opacity: 0.6; cursor: default; }
    button:focus-visible { outline: 2px solid #8ab4ff; outline-offset: 2px; }
    .ok { color: #7bd88f; }
  `;

  constructor() {
    super();
    this.faucet = false;
    this.injectedAvailable = false;
    this.busy = '';
  }

  #fire(name: 'wallet-faucet' | 'wallet-bind'): void {
    this.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true }));
  }

  #use(kind: WalletKind): void {
    this.dispatchEvent(new CustomEvent<WalletUseDetail>('wallet-use', { detail: { kind }, bubbles: true, composed: true }));
  }

  override render() {
    const s = this.state;
    const waiting = this.busy !== '';
    return html`
      <h3>${s.kind === 'embedded' ? 'Wallet made for you in this browser' : 'Your browser wallet'}</h3>
      <p class="address" id="address" title=${s.address}>${s.address}</p>
      <dl>
        <dt>LIVE</dt><dd class="big" id="live-balance" aria-live="polite">${formatAmount(s.live)}</dd>
        <dt>ETH for fees</dt><dd id="eth-balance">${formatAmount(s.eth, 6)}</dd>
        <dt>Identity</dt><dd id="bound">${s.bound ? html`<span class="ok">Linked to your identity</span>` : 'Not linked yet'}</dd>
      </dl>
      <div class="actions">
        ${this.faucet ? html`<button id="faucet" ?disabled=${waiting} @click=${() => this.#fire('wallet-faucet')}>
          ${this.busy === 'faucet' ? 'Getting test funds…' : 'Get test funds'}</button>` : ''}
        ${s.bound ? '' : html`<button id="bind" ?disabled=${waiting} @click=${() => this.#fire('wallet-bind')}>
          ${this.busy === 'bind' ? 'Linking…' : 'Link to my identity'}</button>`}
        ${s.kind === 'embedded' && this.injectedAvailable ? html`<button id="use-injected" ?disabled=${waiting} @click=${() => this.#use('injected')}>Use my browser wallet instead</button>` : ''}
        ${s.kind === 'injected' ? html`<button id="use-embedded" ?disabled=${waiting} @click=${() => this.#use('embedded')}>Use the wallet made for me</button>` : ''}
      </div>`;
  }
}
customElements.define('wallet-summary', WalletSummary);

declare global {
  interface HTMLElementTagNameMap { 'wallet-summary': WalletSummary }
  interface HTMLElementEventMap { 'wallet-use': CustomEvent<WalletUseDetail> }
}

import { LitElement, css, html } from 'lit';
import type { ChannelView } from '../services/wallet.ts';
import { formatAmount, formatDuration, parseAmount } from '../format.ts';
import { MESSAGES } from '../messages.ts';

/** Detail of `channel-deposit`. */
export interface ChannelDepositDetail { amount: bigint }

/**
 * The deposit with one model: what is in it, what is committed (paid on chain, or signed and not yet claimed),
 * a form to open or top it up, and the close: request, then withdraw once the waiting period is over.
 *
 * @fires channel-deposit - open or top up; detail `{ amount }` in base units (always > 0)
 * @fires channel-close - ask to close the deposit
 * @fires channel-withdraw - take back the rest after the waiting period
 */
export class ChannelPanel extends LitElement {
  static override properties = {
    channel: { attribute: false },
    model: { type: String },
    chainTime: { type: Number, attribute: 'chain-time' },
    challengePeriodSeconds: { type: Number, attribute: 'challenge-period-seconds' },
    busy: { type: String },
    invalid: { state: true },
  };
  /** The channel to show. */
  declare channel: ChannelView;
  /** The model's name, for people. */
  declare model: string;
  /** The chain's latest block time (unix seconds): the waiting period runs on it. */
  declare chainTime: number;
  /** How long a requested close waits, seconds. */
  declare challengePeriodSeconds: number;
  /** The action in progress ('' for none). */
  declare busy: string;
  declare invalid: boolean;

  static override styles = css`
    :host { display: block; background: #1f1f2b; border-radius: 8px; padding: 16px; }
    h3 { margin: 0 0 8px; font-size: 1.1em; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 12px 0; }
    dt { color: #999; }
    dd { margin: 0; font-variant-numeric: tabular-nums; }
    form { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin: 12px 0; }
    label { display: flex; flex-direction: column; gap: 4px; }
    input { font: inherit; padding: 8px; border-radius: 6px; border: 1px solid #555; background: #0e0e14; color: #eee; width: 10em; min-height: 28px; }
    input[aria-invalid='true'] { border-color: #ff4d6d; }
    button { font: inherit; padding: 8px 16px; border-radius: 6px; border: 1px solid #555; background: #2c2c3d; color: #eee; cursor: pointer; min-height: 44px; }
    button.primary { background: #c9184a; border-color: #c9184a; color: white; }
    button:disabled { background: #2c2c3d; border-color: #444; color: #888; cursor: default; }
    button:focus-visible, input:focus-visible { outline: 2px solid #8ab4ff; outline-offset: 2px; }
    .hint { color: #999; margin: 4px 0; }
    .error { color: #ff8fa3; margin: 4px 0; }
  `;

  constructor() {
    super();
    this.model = '';
    this.chainTime = 0;
    this.challengePeriodSeconds = 0;
    this.busy = '';
    this.invalid = false;
  }

  override updated(changed: Map<string, unknown>): void {
    const old = changed.get('channel') as ChannelView | undefined;
    // A deposit that went through (or a state change) starts the form afresh.
    if (old && (old.deposit !== this.channel.deposit || old.state !== this.channel.state)) {
      const input = this.renderRoot.querySelector<HTMLInputElement>('#amount');
      if (input) input.value = '';
      this.invalid = false;
    }
  }

  #deposit(event: SubmitEvent): void {
    event.preventDefault();
    const input = this.renderRoot.querySelector<HTMLInputElement>('#amount')!;
    const amount = parseAmount(input.value);
    this.invalid = amount === null || amount === 0n;
    if (this.invalid) {
      input.focus();
      return;
    }
    this.dispatchEvent(new CustomEvent<ChannelDepositDetail>('channel-deposit', { detail: { amount: amount! }, bubbles: true, composed: true }));
  }

  #fire(name: 'channel-close' | 'channel-withdraw'): void {
    this.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true }));
  }

  #waiting(): string {
    const at = this.channel.withdrawableAt ?? 0;
    const left = at - this.chainTime;
    const when = new Date(at * 1000).toLocaleString();
    if (left <= 0) return `The waiting period is over: you can withdraw now.`;
    return `You can withdraw from ${when} (in about ${formatDuration(left)}).`;
  }

  override render() {
    const c = this.channel;
    const waiting = this.busy !== '';
    const open = c.state === 'open';
    return html`
      <h3>Deposit with ${this.model}</h3>
      <dl>
        <dt>State</dt><dd id="channel-state">${{ none: 'No deposit yet', open: 'Open', closing: 'Closing', closed: 'Closed' }[c.state]}</dd>
        ${c.state === 'none' || c.state === 'closed' ? '' : html`<dt>Deposit</dt><dd id="deposit">${formatAmount(c.deposit)} LIVE</dd>
        <dt>Committed</dt><dd id="committed">${formatAmount(c.committed)} LIVE
          <span class="hint">(${formatAmount(c.paid)} paid on chain${c.latestVoucher !== null && c.latestVoucher > c.paid ? `, ${formatAmount(c.latestVoucher - c.paid)} signed, not yet claimed` : ''})</span></dd>
        <dt>Yours back on close</dt><dd id="refundable">${formatAmount(c.refundable)} LIVE</dd>`}
      </dl>
      ${c.state === 'closing' ? html`
        <p id="withdraw-when" role="status">${this.#waiting()}</p>
        <button id="withdraw" class="primary" ?disabled=${waiting || !c.canWithdraw} @click=${() => this.#fire('channel-withdraw')}>
          ${this.busy === 'withdraw' ? 'Withdrawing…' : 'Withdraw the rest'}</button>` : html`
        <form @submit=${this.#deposit} novalidate>
          <label>Amount of LIVE
            <input id="amount" inputmode="decimal" autocomplete="off" placeholder="e.g. 50" aria-invalid=${this.invalid ? 'true' : 'false'}
              aria-describedby="amount-help" @input=${() => { this.invalid = false; }}>
          </label>
          <button id="deposit-button" class="primary" ?disabled=${waiting}>
            ${this.busy === 'deposit' ? 'Confirming…' : open ? 'Top up' : 'Open deposit'}</button>
        </form>
        <p id="amount-help" class=${this.invalid ? 'error' : 'hint'}>${this.invalid ? MESSAGES.BAD_AMOUNT
          : 'One transaction: your wallet signs a permit, so no separate approval is needed.'}</p>
        ${open ? html`
          <button id="request-close" ?disabled=${waiting} @click=${() => this.#fire('channel-close')}>
            ${this.busy === 'close' ? 'Asking to close…' : 'Close the deposit'}</button>
          <p class="hint">After you ask, the model has ${formatDuration(this.challengePeriodSeconds)} to claim what you committed; then you withdraw the rest.</p>` : ''}`}`;
  }
}
customElements.define('channel-panel', ChannelPanel);

declare global {
  interface HTMLElementTagNameMap { 'channel-panel': ChannelPanel }
  interface HTMLElementEventMap { 'channel-deposit': CustomEvent<ChannelDepositDetail> }
}

import { LitElement, css, html, nothing } from 'lit';
import { formatAmount, shortAddress } from '../format.ts';
import type { EarningItem, EarningsReport } from '../services/earnings.ts';

/** Detail of `earnings-settle`: the channels to settle, or null for all. */
export interface EarningsSettleDetail { channelIds: string[] | null }

/** Every wei shown: a model checks these against the chain. */
const exact = (v: bigint) => formatAmount(v, 18);

const KIND_WORDS: Readonly<Record<EarningItem['kind'], string>> = { private: 'Private show', tip: 'Tip', other: 'Held on the deposit' };
const STATE_WORDS: Readonly<Record<EarningItem['state'], string>> = { settled: 'Settled', partly: 'Partly settled', unsettled: 'Not settled' };

/**
 * The model's earnings in full: one row per private show and tip (client, start, minutes, amount, settled or
 * not, the settlement's transaction), totals per day, what is settled and what is not, with the platform fee,
 * and buttons to settle everything or one deposit.
 *
 * @fires earnings-settle - settle; detail `{ channelIds }` (null: every unsettled deposit)
 */
export class EarningsHistory extends LitElement {
  static override properties = {
    report: { attribute: false }, busy: { type: Boolean }, status: { type: String },
  };
  /** What to show, or null while it loads. */
  declare report: EarningsReport | null;
  /** A settlement is running. */
  declare busy: boolean;
  /** The last result or error, in plain words. */
  declare status: string;

  static override styles = css`
    :host { display: block; }
    section { background: #1f1f2b; border-radius: 8px; padding: 16px; margin: 0 0 16px; overflow-x: auto; }
    h3 { margin: 0 0 8px; }
    table { width: 100%; border-collapse: collapse; margin: 8px 0; }
    th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #333; vertical-align: top; }
    .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    code { font-size: .85em; word-break: break-all; }
    .settled { color: #2fbf71; }
    .unsettled, .partly { color: #ffcf70; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0 0 12px; }
    dt { color: #aaa; }
    dd { margin: 0; font-variant-numeric: tabular-nums; }
    button { font: inherit; padding: 8px 16px; border-radius: 6px; border: 0; background: #2fbf71; color: #fff; cursor: pointer; min-height: 44px; }
    button.small { padding: 4px 10px; min-height: 32px; background: #2c2c3d; border: 1px solid #555; }
    button[disabled] { opacity: .5; cursor: default; }
    button:focus-visible { outline: 2px solid #8ab4ff; outline-offset: 2px; }
  `;

  constructor() {
    super();
    this.report = null;
    this.busy = false;
    this.status = '';
  }

  #settle(channelIds: string[] | null): void {
    this.dispatchEvent(new CustomEvent<EarningsSettleDetail>('earnings-settle', { detail: { channelIds }, bubbles: true, composed: true }));
  }

  #totals(r: EarningsReport) {
    const pct = `${r.feeBps / 100}%`;
    return html`<section aria-labelledby="totals-title">
      <h3 id="totals-title">Totals (LIVE)</h3>
      <dl>
        <dt>Earned</dt><dd id="total-earned" data-wei=${r.totals.earned.toString()}>${exact(r.totals.earned)}</dd>
        <dt>Settled</dt><dd id="total-settled" data-wei=${r.totals.settled.toString()}>${exact(r.totals.settled)}
          (you received ${exact(r.totals.payout)}, platform fee ${exact(r.totals.fee)})</dd>
        <dt>Not settled</dt><dd id="total-unsettled" data-wei=${r.totals.unsettled.toString()}>${exact(r.totals.unsettled)}</dd>
        <dt>Settling now pays you</dt><dd id="total-payout" data-wei=${r.totals.unsettledPayout.toString()}>${exact(r.totals.unsettledPayout)}
          after the platform fee of <span id="fee-percent">${pct}</span> (${exact(r.totals.unsettledFee)})</dd>
      </dl>
      <button id="settle-all" ?disabled=${this.busy || r.channels.length === 0} @click=${() => this.#settle(null)}>
        ${this.busy ? 'Settling…' : 'Settle all'}</button>
      ${this.status ? html`<p role="status" id="settle-status">${this.status}</p>` : nothing}
    </section>`;
  }

  #channels(r: EarningsReport) {
    if (r.channels.length === 0) return nothing;
    return html`<section aria-labelledby="channels-title">
      <h3 id="channels-title">Deposits with money to settle</h3>
      <table id="earnings-channels">
        <thead><tr><th>Client wallet</th><th class="num">Not settled</th><th class="num">Fee</th><th class="num">You get</th><th>Settle</th></tr></thead>
        <tbody>${r.channels.map((c) => html`<tr data-channel=${c.channelId}>
          <td title=${c.sender}>${shortAddress(c.sender)}${c.state === 'closing' ? html` <strong>(closing: settle soon)</strong>` : nothing}</td>
          <td class="num">${exact(c.unsettled)}</td><td class="num">${exact(c.fee)}</td><td class="num">${exact(c.payout)}</td>
          <td><button class="small settle-channel" data-channel=${c.channelId} ?disabled=${this.busy}
            aria-label=${`Settle the deposit of ${c.sender}`} @click=${() => this.#settle([c.channelId])}>Settle</button></td></tr>`)}</tbody>
      </table>
    </section>`;
  }

  #items(r: EarningsReport) {
    return html`<section aria-labelledby="items-title">
      <h3 id="items-title">Private shows and tips</h3>
      ${r.items.length === 0 ? html`<p id="earnings-empty">No earnings yet: private shows and tips appear here.</p>` : html`
      <table id="earnings-items">
        <thead><tr><th>Start</th><th>What</th><th>Client</th><th class="num">Minutes</th><th class="num">Amount (LIVE)</th><th>Settled</th><th>Transaction</th></tr></thead>
        <tbody>${r.items.map((i) => html`<tr data-item=${i.id} data-channel=${i.channelId} data-state=${i.state} data-amount=${i.amount.toString()}>
          <td>${new Date(i.startedAt).toLocaleString()}</td>
          <td>${KIND_WORDS[i.kind]}${i.tips > 0n && i.kind === 'private' ? html`<br><small>incl. tips ${exact(i.tips)}</small>` : nothing}</td>
          <td title=${i.client}>${i.client.startsWith('0x') ? shortAddress(i.client) : i.client}</td>
          <td class="num">${i.minutes ?? '—'}</td>
          <td class="num item-amount">${exact(i.amount)}</td>
          <td class=${`item-state ${i.state}`}>${STATE_WORDS[i.state]}${i.state === 'partly' ? html`<br><small>${exact(i.settled)}</small>` : nothing}</td>
          <td>${i.tx ? html`<code class="item-tx" title="settlement transaction">${i.tx}</code>` : '—'}</td></tr>`)}</tbody>
      </table>`}
    </section>`;
  }

  #days(r: EarningsReport) {
    if (r.days.length === 0) return nothing;
    return html`<section aria-labelledby="days-title">
      <h3 id="days-title">Per day (LIVE)</h3>
      <table id="earnings-days">
        <thead><tr><th>Day</th><th class="num">Earned</th><th class="num">Settled</th><th class="num">Not settled</th></tr></thead>
        <tbody>${r.days.map((d) => html`<tr data-day=${d.day} data-earned=${d.earned.toString()}>
          <td>${d.day}</td><td class="num day-earned">${exact(d.earned)}</td><td class="num">${exact(d.settled)}</td><td class="num">${exact(d.unsettled)}</td></tr>`)}</tbody>
      </table>
    </section>`;
  }

  override render() {
    const r = this.report;
    if (!r) return html`<p role="status" id="earnings-loading">Loading your earnings…</p>`;
    return html`${this.#totals(r)}${this.#channels(r)}${this.#items(r)}${this.#days(r)}`;
  }
}
customElements.define('earnings-history', EarningsHistory);

declare global {
  interface HTMLElementTagNameMap { 'earnings-history': EarningsHistory }
}

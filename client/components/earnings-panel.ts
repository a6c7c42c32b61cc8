import { LitElement, css, html, nothing } from 'lit';
import { formatAmount } from '../format.ts';

/** One private call's earnings, as the studio lists them. */
export interface EarningsRow { sessionId: string; client: string; startedAt: number; earned: bigint }

/**
 * The model's earnings: each private call with what it earned, the total not yet settled on-chain (from this
 * browser's vault and the server's kept vouchers), and one button that settles it all in one transaction.
 *
 * @fires earnings-settle - settle every unsettled voucher
 */
export class EarningsPanel extends LitElement {
  static override properties = {
    rows: { attribute: false }, unsettled: { attribute: false }, busy: { type: Boolean }, status: { type: String },
  };
  declare rows: EarningsRow[];
  /** Not yet settled on-chain, base units (fee not yet taken), or null while unknown. */
  declare unsettled: bigint | null;
  /** A settlement is running. */
  declare busy: boolean;
  /** The last result or error, in plain words. */
  declare status: string;

  static override styles = css`
    :host { display: block; background: #1f1f2b; border-radius: 8px; padding: 16px; max-width: 640px; }
    h3 { margin: 0 0 8px; }
    table { width: 100%; border-collapse: collapse; margin: 8px 0; }
    th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #333; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; }
    button { font-size: 1.05em; padding: 8px 18px; border-radius: 6px; border: 0; background: #2fbf71; color: #fff; cursor: pointer; }
    button[disabled] { opacity: .5; cursor: default; }
  `;

  constructor() {
    super();
    this.rows = [];
    this.unsettled = null;
    this.busy = false;
    this.status = '';
  }

  override render() {
    return html`
      <h3>Earnings</h3>
      ${this.rows.length === 0 ? html`<p>No private calls yet.</p>` : html`
        <table id="earnings-table">
          <thead><tr><th>When</th><th>Client</th><th class="num">Earned (LIVE)</th></tr></thead>
          <tbody>${this.rows.map((r) => html`<tr><td>${new Date(r.startedAt).toLocaleString()}</td><td>${r.client}</td>
            <td class="num">${formatAmount(r.earned)}</td></tr>`)}</tbody>
        </table>`}
      <p>Not yet settled: <strong id="earnings-unsettled">${this.unsettled === null ? '…' : formatAmount(this.unsettled)}</strong> LIVE
        <small>(the platform fee is taken when you settle)</small></p>
      <button id="earnings-settle" ?disabled=${this.busy || !this.unsettled}
        @click=${() => this.dispatchEvent(new CustomEvent('earnings-settle', { bubbles: true, composed: true }))}>
        ${this.busy ? 'Settling…' : 'Settle now'}</button>
      ${this.status ? html`<p role="status" id="earnings-status">${this.status}</p>` : nothing}`;
  }
}
customElements.define('earnings-panel', EarningsPanel);

declare global {
  interface HTMLElementTagNameMap { 'earnings-panel': EarningsPanel }
}

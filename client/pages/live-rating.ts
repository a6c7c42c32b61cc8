import { LitElement, css, html } from 'lit';
import type { Rating } from '../../contracts/rating.ts';
import ratingDoc from '../../contracts/RATING.md?raw';
import { renderMarkdown } from '../lib/markdown.ts';
import { messageFor } from '../messages.ts';
import { RatingCheck } from '../services/rating-check.ts';

/** Rendered once: the document is part of the bundle. */
const DOC = renderMarkdown(ratingDoc);

/** How the directory ranks models (contracts/RATING.md), and the same computation run here, in this browser. */
export class LiveRating extends LitElement {
  static override properties = { rating: { state: true }, block: { state: true }, busy: { state: true }, error: { state: true } };
  declare rating: Rating | null;
  declare block: number;
  declare busy: boolean;
  declare error: string;
  #check: RatingCheck | null = null;

  static override styles = css`
    :host { display: block; max-width: 80ch; line-height: 1.5; }
    .doc table, #ranking { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: 8px 0; }
    .doc th, .doc td { padding: 4px 8px; text-align: left; border-bottom: 1px solid #2c2c3d; }
    #ranking th, #ranking td { padding: 4px 8px; text-align: right; }
    td.wallet { font-family: monospace; text-align: left; }
    code, pre { font-family: monospace; background: #1f1f2b; border-radius: 4px; }
    code { padding: 0 4px; }
    pre { padding: 8px 12px; overflow-x: auto; }
    .scroll { overflow-x: auto; }
  `;

  constructor() {
    super();
    this.rating = null;
    this.block = -1;
    this.busy = false;
    this.error = '';
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#check?.close();
    this.#check = null;
  }

  async #recompute(): Promise<void> {
    this.busy = true;
    this.error = '';
    try {
      this.#check ??= new RatingCheck();
      const { rating, block } = await this.#check.recompute();
      this.rating = rating;
      this.block = block;
    } catch (err) {
      this.error = messageFor(err);
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const r = this.rating;
    return html`
      <div class="doc">${DOC}</div>
      <h2>Recompute it here</h2>
      <p>Your browser reads the chain's logs through this site's read-only RPC and does the arithmetic itself.</p>
      <button id="recompute" ?disabled=${this.busy} @click=${() => this.#recompute()}>${this.busy ? 'Reading the chain…' : 'Recompute in this browser'}</button>
      ${this.error ? html`<p role="alert">${this.error}</p>` : ''}
      ${r ? html`
        <p role="status">Block ${this.block}: ${r.models.length} paid models, prior for new models ${r.prior.toFixed(6)}.</p>
        <div class="scroll"><table id="ranking">
          <thead><tr><th>#</th><th>Wallet</th><th>Rank score</th><th>Score</th><th>Payers</th><th>Self-funded</th><th>New</th></tr></thead>
          <tbody>${r.models.map((m, i) => html`<tr data-wallet=${m.receiver}>
            <td>${i + 1}</td><td class="wallet">${m.receiver}</td><td>${m.rankScore.toFixed(6)}</td><td>${m.score.toFixed(6)}</td>
            <td>${m.payers}</td><td>${m.selfFundedPayers}</td><td>${m.isNew ? 'yes' : 'no'}</td></tr>`)}</tbody>
        </table></div>` : ''}`;
  }
}
customElements.define('live-rating', LiveRating);

declare global {
  interface HTMLElementTagNameMap { 'live-rating': LiveRating }
}

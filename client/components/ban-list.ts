import { LitElement, css, html } from 'lit';
import type { BannedViewer } from '../controllers/chat.ts';

/** Detail of `ban-list-unban`. */
export interface BanListUnbanDetail { target: string }

/**
 * The viewers the model banned (from the ban events this studio received), each with an Unban button. A ban
 * holds for every show of the model until it is lifted.
 *
 * @fires ban-list-unban - the model lifts a ban; detail `{ target }` (the viewer's key)
 */
export class BanList extends LitElement {
  static override properties = { bans: { attribute: false }, busy: { type: Boolean } };
  /** Banned viewers, newest first. */
  declare bans: BannedViewer[];
  /** An unban is on its way: the buttons wait. */
  declare busy: boolean;

  static override styles = css`
    ul { list-style: none; padding: 0; margin: 0; display: grid; gap: 4px; }
    li { display: flex; gap: 8px; align-items: center; }
    :focus-visible { outline: 2px solid #8ab4ff; outline-offset: 2px; }
  `;

  constructor() {
    super();
    this.bans = [];
    this.busy = false;
  }

  override render() {
    return html`<section aria-labelledby="bans-title">
      <h3 id="bans-title">Banned viewers</h3>
      ${this.bans.length === 0 ? html`<p id="no-bans">Nobody is banned.</p>` : html`<ul>${this.bans.map((b) => html`<li data-key=${b.key}>
        <span>${b.pseudonym}</span>
        <button type="button" ?disabled=${this.busy} aria-label=${`Unban ${b.pseudonym}`}
          @click=${() => this.dispatchEvent(new CustomEvent<BanListUnbanDetail>('ban-list-unban', { detail: { target: b.key }, bubbles: true, composed: true }))}>Unban</button>
      </li>`)}</ul>`}
    </section>`;
  }
}
customElements.define('ban-list', BanList);

declare global {
  interface HTMLElementTagNameMap { 'ban-list': BanList }
  interface HTMLElementEventMap { 'ban-list-unban': CustomEvent<BanListUnbanDetail> }
}

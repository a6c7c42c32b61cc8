import { LitElement, css, html } from 'lit';

/**
 * Asks for the passphrase that unlocks this browser's identities (they are stored under it). Shown by the app
 * shell whenever a page needs an identity while the store is locked.
 *
 * @fires unlock - `{ passphrase }`: the person entered a passphrase
 */
export class IdentityUnlock extends LitElement {
  static override properties = { error: { type: String }, busy: { type: Boolean } };
  /** Plain words of the last failure ('' for none). */
  declare error: string;
  /** True while the passphrase is being checked (the button waits). */
  declare busy: boolean;

  static override styles = css`
    :host { display: block; margin: 0 0 16px; padding: 16px; border-radius: 8px; background: #1f1f2b; }
    form { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
    input { padding: 8px; border-radius: 4px; border: 1px solid #555; background: #111118; color: inherit; min-width: 14em; }
    button { padding: 8px 16px; border-radius: 4px; border: 0; background: #8ab4ff; color: #0e0e14; font-weight: bold; cursor: pointer; }
    input:focus-visible, button:focus-visible { outline: 2px solid #8ab4ff; outline-offset: 2px; }
    h2 { font-size: 1.05em; margin: 0 0 8px; }
    p { margin: 8px 0 0; }
    .error { color: #ffcf70; }
  `;

  constructor() {
    super();
    this.error = '';
    this.busy = false;
  }

  #submit(e: SubmitEvent) {
    e.preventDefault();
    const input = this.renderRoot.querySelector('input')!;
    this.dispatchEvent(new CustomEvent('unlock', { detail: { passphrase: input.value }, bubbles: true, composed: true }));
  }

  override render() {
    return html`<section aria-labelledby="unlock-title">
      <h2 id="unlock-title">Unlock your identity</h2>
      <form @submit=${this.#submit}>
        <label for="unlock-passphrase">Passphrase</label>
        <input id="unlock-passphrase" type="password" autocomplete="current-password" required ?disabled=${this.busy}>
        <button type="submit" ?disabled=${this.busy}>${this.busy ? 'Unlocking…' : 'Unlock'}</button>
      </form>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : ''}
      <p>Your keys are kept in this browser under this passphrase. Nobody else has it: we cannot reset it.</p>
    </section>`;
  }
}
customElements.define('identity-unlock', IdentityUnlock);

declare global {
  interface HTMLElementTagNameMap { 'identity-unlock': IdentityUnlock }
}

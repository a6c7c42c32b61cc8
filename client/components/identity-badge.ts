import { LitElement, css, html, nothing, svg } from 'lit';
import { GRID, keyVisual, pseudonymFor, type KeyVisual } from '../services/key-visual.ts';

/**
 * Who someone is, shown from their full key (never the server's word): the picture and fingerprint of
 * services/key-visual.ts and the pseudonym, both derived in this browser (without libsodium: the directory shows
 * badges). Where a person decides whom to trust or pay, this is what they compare: a copycat with the same
 * pseudonym has another picture and fingerprint.
 */
export class IdentityBadge extends LitElement {
  static override properties = {
    publicKey: { type: String, attribute: 'public-key' }, pinnedKey: { type: String, attribute: 'pinned-key' },
    compact: { type: Boolean, reflect: true },
  };
  /** The identity's full key (base64url Ed25519). */
  declare publicKey: string;
  /** The key this browser pinned for this pseudonym (services/key-pins.ts), if any: another one means a lookalike. */
  declare pinnedKey: string;
  /** A smaller picture (for lists). */
  declare compact: boolean;
  #visual: KeyVisual | null = null;
  #pseudonym = '';

  static override styles = css`
    :host { display: inline-flex; align-items: center; gap: 8px; vertical-align: middle; }
    svg { width: 32px; height: 32px; border-radius: 4px; background: #111118; flex: none; }
    :host([compact]) svg { width: 24px; height: 24px; }
    .text { display: inline-flex; flex-direction: column; line-height: 1.2; }
    .fp { font-family: ui-monospace, monospace; font-size: .8em; color: #bbb; letter-spacing: .05em; }
    .bad { color: #ffcf70; }
  `;

  constructor() {
    super();
    this.publicKey = '';
    this.pinnedKey = '';
    this.compact = false;
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (!changed.has('publicKey')) return;
    try {
      this.#visual = keyVisual(this.publicKey);
      this.#pseudonym = pseudonymFor(this.publicKey);
    } catch {
      this.#visual = null; // not a key: said so, nothing drawn
    }
  }

  override render() {
    const v = this.#visual;
    if (!v) return this.publicKey ? html`<span class="bad" role="img" aria-label="not a valid identity key">invalid identity key</span>` : nothing;
    const label = `${this.#pseudonym}, fingerprint ${v.fingerprint}`;
    return html`
      <svg viewBox="0 0 ${GRID} ${GRID}" role="img" aria-label=${`identity picture of ${label}`} part="picture"
        data-fingerprint=${v.fingerprint}>${v.cells.flatMap((row, r) => row.map((cell, c) => cell === 0 ? nothing
          : svg`<rect x=${c} y=${r} width="1" height="1" fill=${v.colours[cell - 1]!}></rect>`))}</svg>
      <span class="text">
        <span class="name">${this.#pseudonym}</span>
        <span class="fp" title="fingerprint of the full identity key">${v.fingerprint}</span>
        ${this.pinnedKey && this.pinnedKey !== this.publicKey ? html`<span class="bad lookalike" role="alert">Not the
          ${this.#pseudonym} you saw before: another key has this name.</span>` : nothing}
      </span>`;
  }
}
customElements.define('identity-badge', IdentityBadge);

declare global {
  interface HTMLElementTagNameMap { 'identity-badge': IdentityBadge }
}

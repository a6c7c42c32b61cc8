import { LitElement, css, html, nothing } from 'lit';
import type { AgeStatus } from '../../signaling/protocol.ts';
import { consumeServices } from '../context.ts';
import { MESSAGES, messageFor } from '../messages.ts';
import { AgeVerification, DOCUMENT_TYPES, MAX_DOCUMENT_BYTES, checkDocument, type AgeState, type VerifierChoice } from '../services/age-verification.ts';
import '../components/identity-badge.ts';

const STATUS_WORDS: Readonly<Record<AgeStatus, string>> = {
  none: 'Not verified yet.',
  pending: 'Your document is with the verifier. You will see the answer here as soon as they decide.',
  verified: 'Verified: you can go live.',
  rejected: 'The verifier could not confirm your age. You can send another document.',
};

/**
 * The model's age verification (`#/verify`, or `#/verify/<verifier key>` from the verifier's own link): the
 * status, live; the verifier the document is sealed to, shown by fingerprint; a file chosen here and sealed in
 * this browser before anything is sent (client/services/age-verification.ts).
 */
export class LiveVerify extends LitElement {
  static override properties = {
    verifier: { type: String },
    state: { state: true }, choice: { state: true }, checked: { state: true }, file: { state: true },
    busy: { state: true }, error: { state: true }, notice: { state: true },
  };
  /** The verifier's key from the link ('' without one). */
  declare verifier: string;
  declare state: AgeState | null;
  declare choice: VerifierChoice | null;
  /** The model ticked that the fingerprint matches what the verifier publishes. */
  declare checked: boolean;
  declare file: File | null;
  declare busy: boolean;
  declare error: string;
  declare notice: string;
  #services = consumeServices(this);
  #age: AgeVerification | null = null;

  static override styles = css`
    :host { display: block; max-width: 720px; }
    a { color: #8ab4ff; }
    section { background: #1f1f2b; border-radius: 8px; padding: 16px; margin: 0 0 16px; }
    h2, h3 { margin: 0 0 8px; }
    .muted { color: #aaa; }
    .status-verified { color: #2fbf71; }
    .status-rejected, [role='alert'] { color: #ff8fa3; }
    .warn { color: #ffcf70; }
    label { display: block; margin: 8px 0; }
    button { font: inherit; padding: 8px 16px; border-radius: 6px; border: 0; background: #2fbf71; color: #fff; cursor: pointer; min-height: 44px; }
    button[disabled] { opacity: .5; cursor: default; }
    button:focus-visible, input:focus-visible { outline: 2px solid #8ab4ff; outline-offset: 2px; }
    code { word-break: break-all; }
  `;

  constructor() {
    super();
    this.verifier = '';
    this.state = null;
    this.choice = null;
    this.checked = false;
    this.file = null;
    this.busy = false;
    this.error = '';
    this.notice = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#age?.close();
    this.#age = null;
  }

  async #start(): Promise<void> {
    await this.updateComplete;
    const services = this.#services.value;
    if (!services || this.#age) return;
    const age = new AgeVerification({ session: services.session('model') });
    this.#age = age;
    age.events.on('change', (s) => { this.state = s; });
    try {
      await age.refresh();
      this.choice = await age.chooseVerifier(this.verifier || undefined);
    } catch (err) {
      this.error = messageFor(err);
    }
  }

  #pick = (e: Event): void => {
    const file = (e.target as HTMLInputElement).files?.[0] ?? null;
    this.error = '';
    this.notice = '';
    this.file = null;
    if (!file) return;
    try {
      checkDocument(file);
      this.file = file;
    } catch (err) {
      this.error = messageFor(err);
    }
  };

  #submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const age = this.#age;
    if (!age || !this.file || !this.choice || this.busy) return;
    this.busy = true;
    this.error = '';
    this.notice = '';
    try {
      await age.submit(this.file, this.choice, this.checked);
      this.notice = 'Sent, sealed to the verifier. Only they can open it.';
      this.choice = await age.chooseVerifier(this.verifier || undefined);
      this.file = null;
      this.renderRoot.querySelector<HTMLFormElement>('form')?.reset();
    } catch (err) {
      this.error = messageFor(err);
    }
    this.busy = false;
  };

  #statusSection() {
    const s = this.state;
    if (!s) return html`<section><p id="age-status" role="status">Loading…</p></section>`;
    const end = s.expiresAt ? new Date(s.expiresAt).toLocaleString() : '';
    return html`<section aria-labelledby="status-title">
      <h2 id="status-title">Age verification</h2>
      <p id="age-status" role="status" class=${`status-${s.status}`} data-status=${s.status}>${STATUS_WORDS[s.status]}</p>
      ${end && s.status === 'verified' ? html`<p id="age-expires">Valid until ${end}; verify again before then.</p>` : nothing}
      ${end && s.status === 'pending' ? html`<p id="age-expires">If the verifier has not decided by ${end}, the document is deleted unread and you can send it again.</p>` : nothing}
      ${!s.required ? html`<p class="muted" id="age-not-required">This server lets anyone go live without verification.</p>` : nothing}
      ${s.status === 'verified' ? html`<p><a href="#/studio" id="to-studio">Back to the studio</a></p>` : nothing}
    </section>`;
  }

  #verifierSection() {
    const c = this.choice;
    if (!c) return this.state ? html`<p class="muted">This server names no verifier, so there is no document to send.</p>` : nothing;
    return html`<section aria-labelledby="verifier-title">
      <h3 id="verifier-title">Your verifier</h3>
      <p><identity-badge public-key=${c.key} id="verifier-badge"></identity-badge></p>
      <p class="muted">Fingerprint <strong id="verifier-fingerprint">${c.fingerprint}</strong> of the key <code id="verifier-key">${c.key}</code></p>
      ${c.source === 'link' ? html`<p id="verifier-source">This key came in the verifier's own link, so the server could not swap it.</p>` : nothing}
      ${c.source === 'pinned' ? html`<p id="verifier-source">You sealed to this key before from this browser.</p>` : nothing}
      ${c.source === 'server' ? html`
        ${c.replaces ? html`<p class="warn" role="alert" id="verifier-changed">${MESSAGES.VERIFIER_CHANGED}</p>` : nothing}
        <p id="verifier-source" class="warn">Only the server names this key. A dishonest server could name a key of its own and read your
          document. Compare the fingerprint with the one your verifier publishes (or open the link they give you) before you send.</p>
        <label><input type="checkbox" id="verifier-checked" .checked=${this.checked}
          @change=${(e: Event) => { this.checked = (e.target as HTMLInputElement).checked; }}>
          The fingerprint matches the one my verifier publishes</label>` : nothing}
    </section>`;
  }

  #formSection() {
    const s = this.state;
    const c = this.choice;
    if (!s || !c || s.status === 'verified' || s.status === 'pending') return nothing;
    const ready = !!this.file && !this.busy && (c.source !== 'server' || this.checked);
    return html`<section aria-labelledby="doc-title">
      <h3 id="doc-title">Send your document</h3>
      <p class="muted">A photo or scan of an identity document showing your date of birth (JPEG, PNG, WebP or PDF, up to
        ${Math.floor(MAX_DOCUMENT_BYTES / (1024 * 1024))} MB). It is encrypted in this browser to the verifier's key: the platform only
        passes on the sealed file and keeps the verifier's yes or no.</p>
      <form @submit=${this.#submit}>
        <label>Document <input type="file" id="age-file" accept=${DOCUMENT_TYPES.join(',')} @change=${this.#pick}></label>
        <button type="submit" id="age-submit" ?disabled=${!ready}>${this.busy ? 'Sealing and sending…' : 'Seal and send'}</button>
      </form>
    </section>`;
  }

  override render() {
    return html`
      ${this.#statusSection()}
      ${this.#verifierSection()}
      ${this.#formSection()}
      ${this.notice ? html`<p role="status" id="age-notice">${this.notice}</p>` : nothing}
      ${this.error ? html`<p role="alert" id="age-error">${this.error}</p>` : nothing}`;
  }
}
customElements.define('live-verify', LiveVerify);

declare global {
  interface HTMLElementTagNameMap { 'live-verify': LiveVerify }
}

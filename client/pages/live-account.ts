import { LitElement, css, html } from 'lit';
import { consumeServices } from '../context.ts';
import { messageFor } from '../messages.ts';
import '../components/identity-badge.ts';
import { AccountService, type IdentityView } from '../services/account.ts';
import { checkNewPassphrase } from '../services/identity-backup.ts';

type Busy = '' | 'load' | 'make' | 'backup' | 'restore' | 'lock' | 'unlock-remove' | 'delete';

const ROLE_NAMES = { client: 'Watching', model: 'Performing' } as const;
/** What the person types to confirm the deletion. */
const CONFIRM_WORD = 'DELETE';

/**
 * The identity journeys, for both roles: see one's keys (badge and safety code), back them up as a
 * passphrase-encrypted file and restore it on another device, keep them under a passphrase in this browser,
 * and delete the account and every piece of data, on the server and here.
 */
export class LiveAccount extends LitElement {
  static override properties = {
    identities: { state: true }, locked: { state: true }, busy: { state: true },
    notice: { state: true }, error: { state: true }, confirming: { state: true }, confirmText: { state: true }, deleted: { state: true },
  };
  /** The identities this browser holds (null while loading). */
  declare identities: IdentityView[] | null;
  /** The store is under a passphrase. */
  declare locked: boolean;
  declare busy: Busy;
  /** The last success, in plain words. */
  declare notice: string;
  /** The last failure, in plain words (messages.ts). */
  declare error: string;
  /** The deletion's confirmation step is open. */
  declare confirming: boolean;
  declare confirmText: string;
  declare deleted: boolean;
  #services = consumeServices(this);
  #account: AccountService | null = null;

  static override styles = css`
    :host { display: block; max-width: 760px; }
    section { margin: 0 0 24px; padding: 16px; border-radius: 8px; background: #1f1f2b; }
    h2 { margin-top: 0; }
    h3 { margin: 0 0 8px; font-size: 1.1em; }
    h4 { margin: 0 0 4px; font-size: 1em; }
    ul { list-style: none; padding: 0; margin: 0; display: grid; gap: 12px; }
    form { display: grid; gap: 8px; max-width: 28em; }
    label { display: grid; gap: 4px; }
    input { box-sizing: border-box; width: 100%; min-width: 0; font: inherit; padding: 8px; border-radius: 4px; border: 1px solid #666; background: #111118; color: inherit; }
    button { font: inherit; padding: 8px 16px; border-radius: 6px; border: 1px solid #555; background: #2c2c3d; color: #eee; cursor: pointer; min-height: 44px; justify-self: start; }
    button.danger { background: #8c1c32; border-color: #ff4d6d; }
    button[disabled] { opacity: .6; cursor: default; }
    input:focus-visible, button:focus-visible { outline: 2px solid #8ab4ff; outline-offset: 2px; }
    .safety { font-family: ui-monospace, monospace; letter-spacing: .05em; }
    .muted { color: #aaa; }
    [role='alert'] { color: #ffb3c1; }
    .notice { color: #9be7a5; }
  `;

  constructor() {
    super();
    this.identities = null;
    this.locked = false;
    this.busy = '';
    this.notice = '';
    this.error = '';
    this.confirming = false;
    this.confirmText = '';
    this.deleted = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#account = new AccountService(this.#services.value!);
    void this.#load();
  }

  async #load(): Promise<void> {
    await this.#run('load', async () => {
      this.locked = await this.#services.value!.identities.locked();
      this.identities = await this.#account!.identities();
    });
  }

  /** Runs one action: one at a time, its failure in plain words. */
  async #run(busy: Busy, action: () => Promise<void>): Promise<void> {
    this.busy = busy;
    this.error = '';
    if (busy !== 'load') this.notice = '';
    try {
      await action();
    } catch (err) {
      this.error = messageFor(err);
    } finally {
      this.busy = '';
    }
  }

  #value(id: string): string {
    return (this.renderRoot.querySelector<HTMLInputElement>(`#${id}`))?.value ?? '';
  }

  #make = () => this.#run('make', async () => {
    await this.#services.value!.identities.get('client');
    this.identities = await this.#account!.identities();
  });

  #backup = (e: SubmitEvent) => {
    e.preventDefault();
    // The event's target is gone once its dispatch is over (shadow DOM): keep the form.
    const form = e.currentTarget as HTMLFormElement;
    return this.#run('backup', async () => {
      const passphrase = checkNewPassphrase(this.#value('backup-passphrase'), this.#value('backup-repeat'));
      const text = await this.#account!.backup(passphrase);
      const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `livecam-identity-${this.identities?.[0]?.pseudonym ?? 'backup'}.json`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      form.reset();
      this.notice = 'Backup downloaded. Keep the file and remember the passphrase: both are needed to restore it.';
    });
  };

  #restore = (e: SubmitEvent) => {
    e.preventDefault();
    // The event's target is gone once its dispatch is over (shadow DOM): keep the form.
    const form = e.currentTarget as HTMLFormElement;
    return this.#run('restore', async () => {
      const file = this.renderRoot.querySelector<HTMLInputElement>('#restore-file')?.files?.[0];
      const text = file ? await file.text() : '';
      const roles = await this.#account!.restore(text, this.#value('restore-passphrase'));
      form.reset();
      this.identities = await this.#account!.identities();
      this.notice = `Restored: your ${roles.map((r) => ROLE_NAMES[r].toLowerCase()).join(' and ')} identity is now the one of this browser.`;
    });
  };

  #lock = (e: SubmitEvent) => {
    e.preventDefault();
    // The event's target is gone once its dispatch is over (shadow DOM): keep the form.
    const form = e.currentTarget as HTMLFormElement;
    return this.#run('lock', async () => {
      const passphrase = checkNewPassphrase(this.#value('lock-passphrase'), this.#value('lock-repeat'));
      await this.#services.value!.identities.lock(passphrase);
      form.reset();
      this.locked = true;
      this.notice = 'Your keys are now stored under this passphrase. Each new visit asks for it once.';
    });
  };

  #removeLock = () => this.#run('unlock-remove', async () => {
    await this.#services.value!.identities.removeLock();
    this.locked = false;
    this.notice = 'The passphrase is removed: your keys are stored in this browser without it.';
  });

  #delete = () => this.#run('delete', async () => {
    await this.#account!.deleteEverything();
    this.deleted = true;
    this.confirming = false;
    this.identities = [];
    this.locked = false;
  });

  #renderIdentities() {
    if (this.identities === null) return html`<p class="muted" role="status">Loading your identities…</p>`;
    if (this.identities.length === 0) {
      return html`<p class="muted">This browser has no identity yet. One is made the first time you watch a show or go live.</p>
        <button @click=${this.#make} ?disabled=${this.busy !== ''}>Make my identity now</button>`;
    }
    return html`<ul>${this.identities.map((id) => html`<li data-role=${id.role}>
      <h4>${ROLE_NAMES[id.role]}</h4>
      <identity-badge public-key=${id.publicKey}></identity-badge>
      <p>Safety code: <span class="safety" data-role=${id.role}>${id.safetyCode}</span></p></li>`)}</ul>
      <p class="muted">The safety code comes from your full key: after a restore on another device it must be the same.</p>`;
  }

  #renderDelete() {
    if (this.deleted) return html`<p class="notice" role="status">Your account is deleted: the server forgot your identities and their data, and this browser keeps nothing of them.</p>`;
    if (!this.confirming) {
      return html`<button class="danger" @click=${() => { this.confirming = true; this.confirmText = ''; }} ?disabled=${this.busy !== ''}>Delete my account…</button>`;
    }
    return html`<div role="group" aria-labelledby="delete-title">
      <p><strong>This cannot be undone.</strong> The server deletes your profile and identities; this browser forgets your
        keys, the wallet made here and its key, kept payments and pinned keys. Withdraw your deposits and settle your
        earnings first, and download a backup if you may want this identity again.</p>
      <form @submit=${(e: SubmitEvent) => { e.preventDefault(); void this.#delete(); }}>
        <label>Type ${CONFIRM_WORD} to confirm
          <input id="delete-confirm" autocomplete="off" .value=${this.confirmText} @input=${(e: InputEvent) => { this.confirmText = (e.target as HTMLInputElement).value; }}>
        </label>
        <button type="submit" class="danger" ?disabled=${this.confirmText !== CONFIRM_WORD || this.busy !== ''}>${this.busy === 'delete' ? 'Deleting…' : 'Delete everything'}</button>
        <button type="button" @click=${() => { this.confirming = false; }}>Cancel</button>
      </form></div>`;
  }

  override render() {
    const busy = this.busy !== '';
    const none = !this.identities || this.identities.length === 0;
    return html`
      <h2>Your account</h2>
      ${this.error ? html`<p role="alert">${this.error}</p>` : ''}
      <p class="notice" role="status">${this.notice}</p>
      <section aria-labelledby="ids-title" id="identities"><h3 id="ids-title">Your identities</h3>${this.#renderIdentities()}</section>
      <section aria-labelledby="backup-title" id="backup"><h3 id="backup-title">Back up</h3>
        <p class="muted">A file with your keys, encrypted under a passphrase you choose, to restore them on another device.
          The wallet made in this browser is not in it: move its LIVE to a wallet you keep before you leave this device.</p>
        <form @submit=${this.#backup}>
          <label>Passphrase (at least 8 characters)<input id="backup-passphrase" type="password" autocomplete="new-password"></label>
          <label>The same passphrase again<input id="backup-repeat" type="password" autocomplete="new-password"></label>
          <button type="submit" ?disabled=${busy || none}>${this.busy === 'backup' ? 'Encrypting…' : 'Download backup'}</button>
        </form></section>
      <section aria-labelledby="restore-title" id="restore"><h3 id="restore-title">Restore from a backup</h3>
        <p class="muted">The identities in the file replace the ones of this browser: back those up first if you want to keep them.</p>
        <form @submit=${this.#restore}>
          <label>Backup file<input id="restore-file" type="file" accept=".json,application/json"></label>
          <label>Its passphrase<input id="restore-passphrase" type="password" autocomplete="current-password"></label>
          <button type="submit" ?disabled=${busy}>${this.busy === 'restore' ? 'Restoring…' : 'Restore'}</button>
        </form></section>
      <section aria-labelledby="lock-title" id="lock"><h3 id="lock-title">Passphrase in this browser</h3>
        ${this.locked ? html`<p>Your keys are stored here under a passphrase, asked once per visit.</p>
          <button @click=${this.#removeLock} ?disabled=${busy}>Remove the passphrase</button>`
        : html`<p class="muted">Keep your keys in this browser encrypted under a passphrase: anyone who copies this browser's data cannot use them without it.</p>
          <form @submit=${this.#lock}>
            <label>New passphrase (at least 8 characters)<input id="lock-passphrase" type="password" autocomplete="new-password"></label>
            <label>The same passphrase again<input id="lock-repeat" type="password" autocomplete="new-password"></label>
            <button type="submit" ?disabled=${busy || none}>${this.busy === 'lock' ? 'Encrypting…' : 'Protect with this passphrase'}</button>
          </form>`}</section>
      <section aria-labelledby="delete-title" id="delete"><h3 id="delete-title">Delete your account</h3>${this.#renderDelete()}</section>`;
  }
}
customElements.define('live-account', LiveAccount);

declare global {
  interface HTMLElementTagNameMap { 'live-account': LiveAccount }
}

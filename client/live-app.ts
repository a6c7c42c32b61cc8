import { LitElement, css, html } from 'lit';
import { ContextProvider } from '@lit/context';
import { Routes, type BaseRouteConfig } from '@lit-labs/router';
import { servicesContext } from './context.ts';
import { toClientError } from './errors.ts';
import { messageFor } from './messages.ts';
import { Services } from './services/services.ts';
import { FALLBACK, ROUTES, hashPath } from './routes.ts';

/** The shell: owns the tab's services (given to pages by context), a header and the page the URL hash names. */
export class LiveApp extends LitElement {
  static override properties = {
    loading: { state: true }, path: { state: true }, failed: { state: true },
    unlocking: { state: true }, unlockError: { state: true }, unlockBusy: { state: true },
  };
  declare loading: boolean;
  /** Plain words when a page's code could not be loaded ('' otherwise). */
  declare failed: string;
  /** The current hash path, to mark the current link. */
  declare path: string;
  /** A page waits for an identity while the store is under a passphrase: the unlock form shows. */
  declare unlocking: boolean;
  declare unlockError: string;
  declare unlockBusy: boolean;
  #offLocked: (() => void) | null = null;
  readonly #services = new Services();
  // Registered as a controller: answers every context request from the pages below.
  readonly #provider = new ContextProvider(this, { context: servicesContext, initialValue: this.#services });
  /** Counts navigations, so a slow page import cannot land after a later one. */
  #navigation = 0;
  readonly #routes = new Routes(this, ROUTES.map((route) => this.#guarded(route)), { fallback: this.#guarded(FALLBACK) });

  /** The route with its `enter` tracked: the shell shows loading meanwhile, and only the latest navigation lands. */
  #guarded<R extends BaseRouteConfig>(route: R): R {
    return {
      ...route,
      enter: async (params: Record<string, string | undefined>) => {
        const mine = ++this.#navigation;
        this.loading = true;
        try {
          await route.enter?.(params);
        } finally {
          if (mine === this.#navigation) this.loading = false;
        }
        return mine === this.#navigation;
      },
    };
  }

  static override styles = css`
    header { display: flex; align-items: center; gap: 24px; padding: 12px 24px; background: #15151d; flex-wrap: wrap; }
    header a { color: #ccc; text-decoration: none; padding: 4px 2px; margin-right: 12px; }
    header a[aria-current='page'] { color: #fff; border-bottom: 2px solid #ff4d6d; }
    header a:focus-visible, main :focus-visible { outline: 2px solid #8ab4ff; outline-offset: 2px; }
    h1 { font-size: 1.2em; margin: 0; }
    main { padding: 24px; }
    @media (max-width: 480px) { main { padding: 12px; } header { gap: 16px; padding: 12px; } }
  `;

  constructor() {
    super();
    this.loading = true;
    this.path = '/';
    this.failed = '';
    this.unlocking = false;
    this.unlockError = '';
    this.unlockBusy = false;
  }

  #onLocked = () => {
    // The form's code loads only when a locked identity is first needed.
    void import('./components/identity-unlock.ts').then(() => { this.unlocking = true; },
      (err: unknown) => { this.failed = messageFor(toClientError(err, 'NETWORK')); });
  };

  #onUnlock = async (e: CustomEvent<{ passphrase: string }>) => {
    this.unlockBusy = true;
    try {
      await this.#services.identities.unlock(e.detail.passphrase);
      this.unlocking = false;
      this.unlockError = '';
    } catch (err) {
      this.unlockError = messageFor(err);
    } finally {
      this.unlockBusy = false;
    }
  };

  #onHash = () => {
    this.path = hashPath(location.hash);
    this.failed = '';
    // A page's chunk that cannot be fetched (offline, a new deployment) is a state to show, not a silent blank.
    this.#routes.goto(this.path).catch((err: unknown) => { this.failed = messageFor(toClientError(err, 'NETWORK')); });
  };

  #link(href: string, label: string, section: string) {
    const current = section === '/' ? this.path === '/' || this.path.startsWith('/watch/') : this.path.startsWith(section);
    return html`<a href=${href} aria-current=${current ? 'page' : 'false'}>${label}</a>`;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    addEventListener('hashchange', this.#onHash);
    this.#offLocked = this.#services.identities.events.on('locked', this.#onLocked);
    this.#onHash();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    removeEventListener('hashchange', this.#onHash);
    this.#offLocked?.();
  }

  override render() {
    return html`
      <header><h1>LiveCam</h1><nav aria-label="Main">${this.#link('#/', 'Watch', '/')} ${this.#link('#/studio', 'Go live', '/studio')} ${this.#link('#/wallet', 'Wallet', '/wallet')} ${this.#link('#/account', 'Account', '/account')}</nav></header>
      <main>${this.unlocking ? html`<identity-unlock .error=${this.unlockError} ?busy=${this.unlockBusy} @unlock=${this.#onUnlock}></identity-unlock>` : ''}${this.failed ? html`<p role="alert">${this.failed}</p><button @click=${() => location.reload()}>Reload the page</button>`
        : this.loading ? html`<p role="status">Loading…</p>` : this.#routes.outlet()}</main>`;
  }
}
customElements.define('live-app', LiveApp);

declare global {
  interface HTMLElementTagNameMap { 'live-app': LiveApp }
}

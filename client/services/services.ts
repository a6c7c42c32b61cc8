/**
 * Every service of one tab, made once by the app shell and handed to pages
 * and components through Lit context (client/context.ts), so nothing is a
 * module singleton and a test (or a second app on the page) gets its own.
 */
import type { Role } from '../../signaling/protocol.ts';
import { IdentityService } from './identity.ts';
import { Session } from './session.ts';
import type { WalletService } from './wallet.ts';

export interface ServicesOptions {
  /** Signaling origin (default: this page's). */
  url?: string;
  /** IndexedDB database for identities. */
  identityDb?: string;
}

export class Services {
  readonly identities: IdentityService;
  readonly #sessions = new Map<Role, Session>();
  readonly #url: string | undefined;
  readonly #wallets = new Map<Role, Promise<WalletService>>();
  #closed = false;

  constructor(options: ServicesOptions = {}) {
    this.#url = options.url;
    this.identities = new IdentityService(options.identityDb ? { dbName: options.identityDb } : {});
  }

  /** The tab's connection for `role` (connected, not yet logged in: call `login()` where it is needed). */
  session(role: Role): Session {
    let session = this.#sessions.get(role);
    if (!session || session.state === 'closed') {
      session = new Session({ role, identities: this.identities, ...(this.#url ? { url: this.#url } : {}) });
      this.#sessions.set(role, session);
    }
    return session;
  }

  /** The wallet of `role`'s identity (the client pays, the model is paid), opened on first use: this is where ethers and the contracts' code load. */
  wallet(role: Role = 'client'): Promise<WalletService> {
    let wallet = this.#wallets.get(role);
    if (!wallet) {
      wallet = import('./wallet.ts').then(({ WalletService }) =>
        WalletService.open({ session: this.session(role), ...(this.#url ? { origin: this.#url } : {}) }));
      // A failure (chain down, storage blocked) must not stick: the next visit tries again.
      wallet.catch(() => this.#wallets.delete(role));
      this.#wallets.set(role, wallet);
    }
    return wallet;
  }

  /**
   * Drops the sessions and wallets (the next use makes new ones), for when the identities changed under them:
   * a restored backup logs in with the restored key, a deleted account with none of the old.
   */
  restart(): void {
    for (const wallet of this.#wallets.values()) void wallet.then((w) => w.close(), () => undefined);
    this.#wallets.clear();
    for (const session of this.#sessions.values()) session.close();
    this.#sessions.clear();
  }

  /** Closes every service; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.restart();
    this.identities.close();
  }
}

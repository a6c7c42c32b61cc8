/**
 * Every service of one tab, made once by the app shell and handed to pages
 * and components through Lit context (client/context.ts), so nothing is a
 * module singleton and a test (or a second app on the page) gets its own.
 */
import type { Role } from '../../signaling/protocol.ts';
import { IdentityService } from './identity.ts';
import { Session } from './session.ts';

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

  /** Closes every service; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const session of this.#sessions.values()) session.close();
    this.#sessions.clear();
    this.identities.close();
  }
}

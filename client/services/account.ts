/**
 * The identity journeys of the account page, both roles at once: what this browser holds, a passphrase-encrypted
 * backup file and its restore, the safety code of each key, and deleting the account everywhere (the server's
 * `account:delete` for every identity this browser has, then every local store).
 */
import type { Identity } from '../../crypto/identity.ts';
import type { Role } from '../../signaling/protocol.ts';
import { ClientError } from '../errors.ts';
import { createBackup, readBackup, type IdentitySet } from './identity-backup.ts';
import { wipeLocalData } from './local-data.ts';
import type { Services } from './services.ts';

export const ROLES: readonly Role[] = ['client', 'model'];

/** One identity as the page shows it. */
export interface IdentityView {
  role: Role;
  publicKey: string;
  pseudonym: string;
  /** services/safety-code.ts of the key with itself: one number per key, the same on every device holding it. */
  safetyCode: string;
}

export class AccountService {
  readonly #services: Services;

  constructor(services: Services) {
    this.#services = services;
  }

  /** The identities this browser holds (none is created here). */
  async identities(): Promise<IdentityView[]> {
    const { safetyCode } = await import('./safety-code.ts');
    const out: IdentityView[] = [];
    for (const role of ROLES) {
      if (!(await this.#services.identities.has(role))) continue;
      const id = await this.#services.identities.get(role);
      out.push({ role, publicKey: id.publicKey, pseudonym: id.pseudonym, safetyCode: await safetyCode(id.publicKey, id.publicKey) });
    }
    return out;
  }

  /** The backup file's text for every identity this browser holds. */
  async backup(passphrase: string): Promise<string> {
    const set: IdentitySet = {};
    for (const role of ROLES) if (await this.#services.identities.has(role)) set[role] = await this.#services.identities.get(role);
    if (Object.keys(set).length === 0) throw new ClientError('NOT_FOUND', 'this browser has no identity yet');
    return createBackup(set, passphrase);
  }

  /** Takes the identities of a backup file as this browser's; the sessions start again with them. */
  async restore(text: string, passphrase: string): Promise<Role[]> {
    const set = await readBackup(text, passphrase);
    const roles = Object.keys(set) as Role[];
    for (const role of roles) await this.#services.identities.replace(role, set[role] as Identity);
    this.#services.restart();
    return roles;
  }

  /** Deletes every identity of this browser on the server, then every local store. */
  async deleteEverything(): Promise<void> {
    for (const role of ROLES) {
      if (!(await this.#services.identities.has(role))) continue;
      const session = this.#services.session(role);
      await session.login();
      await session.request('account:delete', {});
    }
    this.#services.restart();
    await this.#services.identities.erase();
    await wipeLocalData();
  }
}

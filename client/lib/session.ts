/**
 * One logged-in connection per role, shared by the pages of this tab.
 */
import { Connection } from './connection.ts';
import { loadOrCreateIdentity } from './identity-store.ts';

const sessions = new Map<'model' | 'client', Promise<Connection>>();

/** The tab's connection for `role`, logged in on first use. */
export function session(role: 'model' | 'client'): Promise<Connection> {
  let pending = sessions.get(role);
  if (!pending) {
    pending = (async () => {
      const connection = new Connection(await loadOrCreateIdentity(role), role);
      await connection.login();
      return connection;
    })();
    // A failed login must not be cached: the next page visit tries again.
    pending.catch(() => sessions.delete(role));
    sessions.set(role, pending);
  }
  return pending;
}

/**
 * Everything this site keeps in this browser, found and wiped without a list to keep up to date: every
 * IndexedDB database whose name starts with `livecam` (identities, wallet, kept vouchers, key pins, and any
 * store added later under the same prefix) has each of its object stores cleared, and the `livecam` keys of
 * localStorage and sessionStorage are removed. Stores are cleared, not deleted: the services of this tab hold
 * open connections, and a database deletion would wait for them forever.
 */
import { ClientError } from '../errors.ts';

/** The name prefix of every store of ours. */
export const LOCAL_PREFIX = 'livecam';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Clears every object store of every `livecam*` database; returns the database names it cleared. */
export async function wipeLocalData(): Promise<string[]> {
  try {
    const names = (await indexedDB.databases()).map((d) => d.name ?? '').filter((n) => n.startsWith(LOCAL_PREFIX));
    for (const name of names) {
      const db = await request(indexedDB.open(name));
      try {
        const stores = [...db.objectStoreNames];
        if (stores.length > 0) {
          const tx = db.transaction(stores, 'readwrite');
          const done = new Promise<void>((resolve, reject) => {
            tx.oncomplete = () => resolve();
            tx.onerror = () => reject(tx.error);
            tx.onabort = () => reject(tx.error);
          });
          for (const store of stores) tx.objectStore(store).clear();
          await done;
        }
      } finally {
        db.close();
      }
    }
    for (const storage of [localStorage, sessionStorage]) {
      for (const key of Object.keys(storage)) if (key.startsWith(LOCAL_PREFIX)) storage.removeItem(key);
    }
    return names;
  } catch (cause) {
    throw new ClientError('STORAGE_UNAVAILABLE', 'cannot wipe IndexedDB', { cause });
  }
}

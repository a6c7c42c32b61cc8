/**
 * What the account tests share: a page that records its console errors, the account page's identities as
 * shown, and what this site keeps in the browser's IndexedDB.
 */
import type { BrowserContext, Page } from 'playwright-core';

/** A new page whose console errors and uncaught exceptions land in `errors`. */
export async function watchedPage(context: BrowserContext, errors: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${String(e)}`));
  return page;
}

export interface ShownIdentity { role: string; key: string; safety: string }

/** The identities the account page lists, once it lists `count` of them. */
export async function shownIdentities(page: Page, count: number): Promise<ShownIdentity[]> {
  const items = page.locator('live-account #identities li');
  await page.waitForFunction((n) => document.querySelector('live-app')?.shadowRoot?.querySelector('live-account')
    ?.shadowRoot?.querySelectorAll('#identities li').length === n, count, { timeout: 20_000 });
  return items.evaluateAll((lis) => lis.map((li) => ({
    role: li.getAttribute('data-role') ?? '',
    key: li.querySelector('identity-badge')?.getAttribute('public-key') ?? '',
    safety: li.querySelector('.safety')?.textContent?.trim() ?? '',
  })));
}

/** Resolves an IndexedDB request (in the page; a string, so the test runner's transform adds nothing to it). */
const WAIT = 'const wait = (r) => new Promise((ok, ko) => { r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error); });';

/** Records per `livecam*` IndexedDB database and store, e.g. `{ 'livecam-identity/identities': 2 }`. */
export function storedRecords(page: Page): Promise<Record<string, number>> {
  return page.evaluate(`(async () => { ${WAIT}
    const out = {};
    for (const { name } of await indexedDB.databases()) {
      if (!name || !name.startsWith('livecam')) continue;
      const db = await wait(indexedDB.open(name));
      for (const store of db.objectStoreNames) out[name + '/' + store] = await wait(db.transaction(store).objectStore(store).count());
      db.close();
    }
    return out;
  })()`);
}

/** The stored secret of `role` as IndexedDB holds it: 'bytes' (plain key), 'sealed' (passphrase), or 'none'. */
export function storedSecretKind(page: Page, role: string): Promise<string> {
  return page.evaluate(`(async () => { ${WAIT}
    const db = await wait(indexedDB.open('livecam-identity'));
    const value = await wait(db.transaction('identities').objectStore('identities').get('secret.${role}'));
    db.close();
    if (value instanceof Uint8Array) return 'bytes';
    if (value && typeof value.sealed === 'string') return 'sealed';
    return value === undefined ? 'none' : 'other';
  })()`);
}

/** The stored 32-byte seeds of both roles, base64url, to look for in what must not hold them. */
export function storedSeeds(page: Page): Promise<string[]> {
  return page.evaluate(`(async () => { ${WAIT}
    const db = await wait(indexedDB.open('livecam-identity'));
    const store = db.transaction('identities').objectStore('identities');
    const keys = [await wait(store.get('secret.client')), await wait(store.get('secret.model'))];
    db.close();
    return keys.filter((k) => k instanceof Uint8Array)
      .map((k) => btoa(String.fromCharCode(...k.subarray(0, 32))).split('+').join('-').split('/').join('_').split('=').join(''));
  })()`);
}

/** What the account page said after an action: its notice, or its alert (whichever comes first). */
export async function outcome(page: Page, timeout = 30_000): Promise<string> {
  const handle = await page.waitForFunction(() => {
    const root = document.querySelector('live-app')?.shadowRoot?.querySelector('live-account')?.shadowRoot;
    const alert = root?.querySelector('[role=alert]')?.textContent?.trim();
    const notice = root?.querySelector('.notice')?.textContent?.trim();
    return alert ? `alert: ${alert}` : notice ? `notice: ${notice}` : '';
  }, undefined, { timeout });
  return String(await handle.jsonValue());
}

/**
 * Key pins in Chromium (IndexedDB): the model's key from the link is pinned, the key the server announces must
 * equal it, a known pseudonym with another key is refused, and the pin survives a reload.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Page } from 'playwright-core';
import { createIdentity, pseudonymOf } from '../../crypto/identity.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { startCallRig, type CallRig } from '../helpers/call-rig.ts';

interface Ctx { rig: CallRig; browser: Browser; page: Page }
const pins = suite<Ctx>('key pins in the browser');

type PinsApi = { pin(k: string, s: string): Promise<{ key: string; pseudonym: string }>; checkAnnounced(a: { key: string; pseudonym: string }, expected?: string): Promise<unknown>; list(): Promise<unknown[]> };
declare global {
  // eslint-disable-next-line no-var
  var pinsUnderTest: PinsApi;
}

async function open(ctx: Ctx): Promise<void> {
  await ctx.page.goto(`${ctx.rig.url}/rig.html`);
  await ctx.page.waitForFunction(() => typeof globalThis.Rig !== 'undefined');
  await ctx.page.evaluate(() => {
    const R = globalThis.Rig as unknown as { KeyPins: new (o: { dbName: string }) => PinsApi };
    globalThis.pinsUnderTest = new R.KeyPins({ dbName: 'pins-test' });
  });
}

/** Runs `fn` in the page; resolves with the ClientError code it threw, or 'ok'. */
function outcome(page: Page, fn: string, arg: unknown): Promise<string> {
  return page.evaluate(async ({ fn, arg }) => {
    try {
      await (new Function('pins', 'arg', `return (${fn})(pins, arg)`))(globalThis.pinsUnderTest, arg);
      return 'ok';
    } catch (err) {
      return String((err as { code?: string }).code);
    }
  }, { fn, arg });
}

pins.before(async (ctx) => {
  ctx.rig = await startCallRig();
  ctx.browser = await launchChromium();
  ctx.page = await ctx.browser.context.newPage();
  await open(ctx);
});

pins.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.rig?.close();
});

pins('a key from the link is pinned under its own pseudonym; the announced key must equal the link key', async ({ page }) => {
  const model = await createIdentity();
  const other = await createIdentity();
  const pinned = await page.evaluate((k) => globalThis.pinsUnderTest.pin(k, 'link'), model.publicKey);
  assert.equal([pinned.key, pinned.pseudonym], [model.publicKey, model.pseudonym]);
  assert.is(await outcome(page, '(p, a) => p.checkAnnounced(a.announced, a.link)', { announced: { key: model.publicKey, pseudonym: model.pseudonym }, link: model.publicKey }), 'ok');
  assert.is(await outcome(page, '(p, a) => p.checkAnnounced(a.announced, a.link)', { announced: { key: other.publicKey, pseudonym: other.pseudonym }, link: model.publicKey }), 'PEER_KEY_MISMATCH');
  assert.is(await outcome(page, '(p, a) => p.checkAnnounced(a.announced)', { announced: { key: other.publicKey, pseudonym: model.pseudonym } }), 'PEER_KEY_MISMATCH', 'a pseudonym that is not the key\'s own');
});

pins('a known pseudonym arriving with another key is refused, also after a reload', async (ctx) => {
  const known = await createIdentity();
  await ctx.page.evaluate((k) => globalThis.pinsUnderTest.pin(k, 'call'), known.publicKey);
  await open(ctx);
  // A look-alike key whose pseudonym equals a pinned one: grinding the ~29-bit pseudonym takes minutes, so the
  // test writes the pin such a collision meets (its pseudonym pinned to the known key) straight into IndexedDB.
  const lookalike = await createIdentity();
  const refused = await ctx.page.evaluate(async ({ known, lookalike }) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('pins-test');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    // The stored pin for the look-alike's pseudonym says: the known key.
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction('pins', 'readwrite');
      tx.objectStore('pins').put({ key: known.key, pseudonym: lookalike.pseudonym, source: 'link', firstSeen: 1 }, lookalike.pseudonym);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    db.close();
    try {
      await globalThis.pinsUnderTest.pin(lookalike.key, 'call');
      return 'ok';
    } catch (err) {
      return String((err as { code?: string }).code);
    }
  }, { known: { key: known.publicKey }, lookalike: { key: lookalike.publicKey, pseudonym: await pseudonymOf(lookalike.publicKey) } });
  assert.is(refused, 'KEY_CHANGED');
  assert.is(await outcome(ctx.page, '(p, k) => p.pin(k, "call")', known.publicKey), 'ok', 'the known key itself still passes');
  const list = await ctx.page.evaluate(() => globalThis.pinsUnderTest.list());
  assert.ok(list.length >= 3, 'pins persist across reloads');
});

pins('a malformed key is not pinned', async ({ page }) => {
  assert.is(await outcome(page, '(p) => p.pin("not a key", "link")', null), 'PEER_KEY_MISMATCH');
});

pins.run();

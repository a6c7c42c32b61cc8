/**
 * The model's stage profile and private price in the studio: saved (the profile sealed, the price public),
 * restored after a reload, and bad values refused in plain words before anything is sent. Real platform,
 * real Chromium.
 */
import type { Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Platform } from '../../signaling/platform.ts';
import { launchChromium, type Browser } from '../helpers/chromium.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';
import { collectConsoleErrors } from '../helpers/page-errors.ts';

interface Ctx { platform: Platform; browser: Browser; page: Page; errors: string[] }
const profile = suite<Ctx>('stage profile in the studio');

profile.before(async (ctx) => {
  await buildClient();
  ctx.platform = await startTestPlatform();
  ctx.browser = await launchChromium();
  ctx.page = await ctx.browser.context.newPage();
  ctx.errors = collectConsoleErrors(ctx.page);
});

profile.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.platform?.close();
});

const value = (page: Page, id: string) => page.locator(`#${id}`).inputValue();
const languages = (page: Page) => page.locator('#profile-languages').evaluate((s: HTMLSelectElement) => [...s.selectedOptions].map((o) => o.value));

profile('the model saves a profile and a price; a reload shows them again', async ({ platform, page }) => {
  await page.goto(`${platform.url}/#/studio`);
  await page.locator('#pseudonym').filter({ hasNotText: '…' }).waitFor({ timeout: 15_000 });
  assert.ok((await page.locator('#profile-private-note').innerText()).includes('Only you see this'));
  await page.locator('#profile-stage-name').fill('Luna Star');
  await page.locator('#profile-about').fill('Evening shows, mostly music.\nSay hi!');
  await page.locator('#profile-languages').selectOption(['en', 'fr']);
  await page.locator('#profile-tags').fill('Music, cosplay ,  music');
  await page.locator('#price').fill('2.5');
  await page.locator('#min-minutes').fill('3');
  await page.locator('#set-price').click();
  await page.locator('#profile-status[data-state="saved"]').waitFor({ timeout: 10_000 });
  await page.locator('#private-status').filter({ hasText: '2.5 LIVE per minute, at least 3 minutes' }).waitFor({ timeout: 10_000 });

  await page.reload();
  await page.locator('#pseudonym').filter({ hasNotText: '…' }).waitFor({ timeout: 15_000 });
  // The form is enabled once the stored values are in it.
  await page.locator('#profile-stage-name:enabled').waitFor({ timeout: 10_000 });
  assert.is(await value(page, 'profile-stage-name'), 'Luna Star');
  assert.is(await value(page, 'profile-about'), 'Evening shows, mostly music.\nSay hi!');
  assert.equal(await languages(page), ['en', 'fr']);
  assert.is(await value(page, 'profile-tags'), 'music, cosplay', 'tags trimmed, lower case, each once');
  assert.is(await value(page, 'price'), '2.5');
  assert.is(await value(page, 'min-minutes'), '3');
});

profile('bad values are refused in plain words and nothing is saved', async ({ platform, page, errors }) => {
  await page.locator('#profile-stage-name').fill('x'.repeat(45));
  await page.locator('#profile-tags').fill('ok, <script>');
  await page.locator('#price').fill('two');
  await page.locator('#min-minutes').fill('0');
  await page.locator('#set-price').click();
  const problem = (field: string) => page.locator(`#problem-${field}`).innerText({ timeout: 5000 });
  assert.is(await problem('stageName'), 'Your stage name can have at most 40 characters (it has 45).');
  assert.ok((await problem('tags')).startsWith('“<script>” is not a tag'), await problem('tags'));
  assert.ok((await problem('price')).includes('number of LIVE'));
  assert.is(await problem('minMinutes'), 'The minimum is a whole number of minutes from 1 to 240.');
  assert.is(await page.locator('#profile-stage-name').getAttribute('aria-invalid'), 'true');
  const focused = await page.evaluate(() => {
    let el: Element | null = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return el?.id;
  });
  assert.is(focused, 'profile-stage-name', 'the first refused field has the focus');
  // Too high a price is refused too.
  await page.locator('#profile-stage-name').fill('Luna');
  await page.locator('#profile-tags').fill('music');
  await page.locator('#price').fill('20000');
  await page.locator('#min-minutes').fill('3');
  await page.locator('#set-price').click();
  assert.ok((await problem('price')).includes('at most 10,000 LIVE'));
  assert.is(await page.locator('#problem-stageName').count(), 0, 'a fixed field loses its note');

  // Nothing of it reached the server: a reload shows the last saved values.
  await page.reload();
  await page.locator('#profile-stage-name:enabled').waitFor({ timeout: 15_000 });
  assert.is(await value(page, 'profile-stage-name'), 'Luna Star');
  assert.is(await value(page, 'price'), '2.5');
  // The directory shows the price to everyone (public), never the sealed profile.
  const directory = await page.context().newPage();
  collectConsoleErrors(directory, errors);
  await directory.goto(`${platform.url}/#/`);
  await directory.locator('live-directory').waitFor({ timeout: 10_000 });
  const text = await directory.locator('body').innerText();
  assert.not.ok(text.includes('Luna Star'), 'the stage name is not public');
  await directory.close();
});

profile('no console error on the way', ({ errors }) => {
  assert.equal(errors, []);
});

profile.run();

/**
 * `npm run screenshots`: every main page at 1280x800 and 390x844 into docs/screenshots/, on a real platform
 * (embedded chain, coturn, Chromium's fake camera) with a live show, a tip menu and goal, and some paid history,
 * so the pictures show what a person sees. Run it in a loopback-only namespace, as the tests are
 * (`unshare -n bash -c 'ip link set lo up && exec npm run screenshots'`).
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Wallet, parseUnits } from 'ethers';
import type { Page } from 'playwright-core';
import { connectChannels } from '../../contracts/client.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { goLive, settled } from '../helpers/every-route.ts';
import { buildClient, startTestPlatform } from '../helpers/platform.ts';

const OUT = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const SIZES = [[1280, 800], [390, 844]] as const;
const LIVE = (n: number) => parseUnits(String(n), 18);

mkdirSync(OUT, { recursive: true });
await buildClient();
const platform = await startTestPlatform({ AGE_VERIFICATION: 'off' });
const browser = await launchChromium();
const errors: string[] = [];
const watchErrors = (page: Page) => page.on('pageerror', (e) => errors.push(String(e)));

try {
  // Paid history between demo accounts, so the ranking page has rows.
  const chain = platform.devChain!;
  const wallets = chain.demoAccounts.map((d) => new Wallet(d.privateKey, chain.provider));
  for (const [payer, model, amount] of [[wallets[1]!, wallets[0]!, 9], [wallets[2]!, wallets[0]!, 4], [wallets[1]!, wallets[3]!, 16]] as const) {
    const channels = connectChannels(payer, chain.addresses);
    await channels.openWithPermit(model.address, LIVE(amount));
    const { channelId } = await channels.getChannel(payer.address, model.address);
    await connectChannels(model, chain.addresses).settle(payer.address, await channels.signVoucher(channelId, LIVE(amount)));
  }

  const studio = await browser.context.newPage();
  watchErrors(studio);
  await studio.setViewportSize({ width: 1280, height: 800 });
  const modelKey = await goLive(studio, platform.url);

  const shot = async (page: Page, name: string, width: number) => {
    await page.screenshot({ path: `${OUT}${name}-${width}.png`, fullPage: true });
  };
  for (const [width, height] of SIZES) {
    await studio.setViewportSize({ width, height });
    await studio.waitForTimeout(800);
    await shot(studio, 'studio', width);
    const page = await browser.context.newPage();
    watchErrors(page);
    await page.setViewportSize({ width, height });
    for (const [name, hash] of [
      ['directory', '#/'], ['watch', `#/watch/${modelKey}`], ['wallet', `#/wallet/${modelKey}`],
      ['earnings', '#/earnings'], ['verify', '#/verify'], ['account', '#/account'], ['rating', '#/rating'],
    ] as const) {
      await page.goto(`${platform.url}/${hash}`);
      await settled(page);
      // The player's first frames, the ranking's computed table: what the page is for, not its loading state.
      await page.waitForTimeout(name === 'watch' ? 4000 : 1500);
      await shot(page, name, width);
    }
    await page.close();
  }
} finally {
  await browser.close();
  await platform.close();
}
console.log(`screenshots in ${OUT}; page errors: ${errors.length ? errors.join(' | ') : 'none'}`);

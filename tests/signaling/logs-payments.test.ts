/**
 * The logs of paid flows (a tip, a private show) never link a client to a model: no line names a tipper, and no
 * line names both sides of a private show. Against a real dev chain, with the wallets bound (sealed) as users do.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { Wallet, parseUnits } from 'ethers';
import { startDevChain, type DevChain } from '../../contracts/devchain.ts';
import { connectChannels } from '../../contracts/client.ts';
import { bindWallet, walletBindingMessage } from '../../contracts/wallet-binding.ts';
import { createLogger } from '../../signaling/logger.ts';
import { login, mediaArrives, next, ok, startServer, type Running, type User } from './helpers.ts';

const LIVE = (n: number) => parseUnits(String(n), 18);
const t = suite('logs of paid flows');
const lines: string[] = [];
const sink = new Writable({ write(chunk, _enc, cb) { lines.push(...String(chunk).split('\n').filter(Boolean)); cb(); } });
let chain: DevChain;
let run: Running;

t.before(async () => {
  chain = await startDevChain({ port: 0, demoAccounts: 3 });
  run = await startServer({
    logger: createLogger('trace', sink), env: { LOG_LEVEL: 'trace' },
    chain: { provider: chain.provider, addresses: chain.addresses, chainId: chain.chainId, rpcUrl: chain.rpcUrl },
  });
});
t.after(async () => {
  await run?.server.close();
  await chain?.close();
});

async function bind(u: User, w: Wallet): Promise<void> {
  const walletSignature = await w.signMessage(walletBindingMessage(u.key));
  const b = await bindWallet(u.identity, w.address, walletSignature);
  await ok(u.socket, 'wallet:bind', { address: b.address, walletSignature, identitySignature: b.identitySignature });
}

t('a tip and a private show: no log line names the tipper, none names both client and model', async () => {
  const [modelWallet, clientWallet, tipperWallet] = chain.demoAccounts.map((a) => new Wallet(a.privateKey, chain.provider)) as [Wallet, Wallet, Wallet];
  const model = await login(run.url, 'model');
  const client = await login(run.url, 'client');
  const tipper = await login(run.url, 'client');
  for (const [u, w] of [[model, modelWallet], [client, clientWallet], [tipper, tipperWallet]] as const) await bind(u, w);
  await ok(model.socket, 'model:setPrice', { pricePerMinute: LIVE(1).toString(), minMinutes: 1 });

  const { showId } = await ok(model.socket, 'show:open', {});
  await mediaArrives(run, model, showId);
  await ok(tipper.socket, 'show:watch', { model: model.key });
  const tipPayer = connectChannels(tipperWallet, chain.addresses);
  await tipPayer.openWithPermit(modelWallet.address, LIVE(3));
  const tipChannel = (await tipPayer.getChannel(tipperWallet.address, modelWallet.address)).channelId;
  const v = await tipPayer.signVoucher(tipChannel, LIVE(1));
  await ok(tipper.socket, 'chat:tip', { showId, voucher: { channelId: tipChannel, cumulativeAmount: v.cumulativeAmount.toString(), signature: v.signature } });

  const payer = connectChannels(clientWallet, chain.addresses);
  await payer.openWithPermit(modelWallet.address, LIVE(5));
  const channelId = (await payer.getChannel(clientWallet.address, modelWallet.address)).channelId;
  const asked = next(model.socket, 'private:request');
  const r = await ok(client.socket, 'private:request', { model: model.key, pricePerMinute: LIVE(1).toString(), minMinutes: 1, channelId });
  await asked;
  await ok(model.socket, 'private:accept', { sessionId: r.sessionId });
  await ok(client.socket, 'private:end', { sessionId: r.sessionId });
  await new Promise((resolve) => setTimeout(resolve, 200));

  assert.ok(lines.some((l) => l.includes('"tip"')), 'the tip is logged');
  assert.ok(lines.some((l) => l.includes('private session started')), 'the private show is logged');
  for (const line of lines) {
    if (line.includes('"tip"')) assert.not.ok(line.includes(tipper.pseudonym) || line.includes(tipper.key), `a tip line names the tipper: ${line}`);
    assert.not.ok(line.includes(client.pseudonym) && line.includes(model.pseudonym), `a line links client and model: ${line}`);
    assert.not.ok(line.includes(client.key) && line.includes(model.key), `a line links client and model keys: ${line}`);
  }
  for (const u of [model, client, tipper]) u.socket.close();
});

t.run();

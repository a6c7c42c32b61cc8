/**
 * Two signaling processes, one real Redis: a viewer on process B sees a model
 * on process A go live, chats with it, and sends a private request that A's
 * model accepts; vouchers and the end of the session cross processes too.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Wallet, parseUnits } from 'ethers';
import { startDevChain, type DevChain } from '../../contracts/devchain.ts';
import { connectChannels } from '../../contracts/client.ts';
import { bindWallet, walletBindingMessage } from '../../contracts/wallet-binding.ts';
import { signFingerprint } from '../../crypto/fingerprint.ts';
import { client, connected, login, mediaArrives, next, ok, sleep, startRedis, startServer, testConfig, type RedisHandle, type Running, type User } from './helpers.ts';

const t = suite('two signaling processes over Redis');
const LIVE = (n: number) => parseUnits(String(n), 18);
let chain: DevChain;
let redis: RedisHandle;
let a: Running;
let b: ChildProcess;
let bUrl = '';

t.before(async () => {
  chain = await startDevChain({ port: 0, demoAccounts: 2 });
  redis = await startRedis();
  const env = {
    HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', REDIS_URL: redis.url,
    SESSION_SECRET: randomBytes(32).toString('base64'), MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    TURN_URLS: 'turn:127.0.0.1:3478', TURN_SECRET: 'test-turn-secret-0123456789',
  };
  a = await startServer({
    config: testConfig(env),
    chain: { provider: chain.provider, addresses: chain.addresses, chainId: chain.chainId, rpcUrl: chain.rpcUrl },
  });
  b = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/server-process.ts', import.meta.url))], {
    env: {
      ...process.env, ...env, TEST_RPC_URL: chain.rpcUrl, TEST_CHAIN_ID: String(chain.chainId),
      TEST_TOKEN: chain.addresses.token, TEST_CHANNELS: chain.addresses.channels,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  bUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('process B did not start')), 30_000);
    b.stdout!.on('data', (d: Buffer) => {
      const m = /PORT (\d+)/.exec(d.toString());
      if (m) { clearTimeout(timer); resolve(`http://127.0.0.1:${m[1]}`); }
    });
    b.once('exit', (code) => reject(new Error(`process B exited ${code}`)));
  });
});

t.after(async () => {
  if (b && b.exitCode === null) {
    await new Promise<void>((resolve) => { b.once('exit', () => resolve()); b.kill('SIGTERM'); });
  }
  await a?.server.close();
  await redis?.stop();
  await chain?.close();
});

async function bind(u: User, w: Wallet): Promise<void> {
  const walletSignature = await w.signMessage(walletBindingMessage(u.key));
  const binding = await bindWallet(u.identity, w.address, walletSignature);
  await ok(u.socket, 'wallet:bind', { address: binding.address, walletSignature, identitySignature: binding.identitySignature });
}

t('live on A is seen on B; chat both ways; a private request from B accepted on A; vouchers and the end cross over', async () => {
  const viewer = await login(bUrl, 'client');
  await ok(viewer.socket, 'directory:subscribe', {});
  const model = await login(a.url, 'model');
  await ok(model.socket, 'model:setPrice', { pricePerMinute: LIVE(1).toString(), minMinutes: 2 });

  const live = next(viewer.socket, 'directory:update', (e) => e.key === model.key && e.status === 'public');
  const { showId } = await ok(model.socket, 'show:open', {});
  a.sfu!.start(showId); // A's SFU has the publisher's media
  assert.is((await live).showId, showId);
  const listed = await ok(viewer.socket, 'directory:subscribe', {});
  assert.ok(listed.models.some((m) => m.key === model.key && m.status === 'public'));

  const viewers = next(model.socket, 'show:viewers', (e) => e.viewers === 1);
  await ok(viewer.socket, 'show:watch', { model: model.key });
  a.sfu!.events.emit('viewercount', showId, 1);
  const atModel = next(model.socket, 'chat:message');
  await ok(viewer.socket, 'chat:send', { showId, text: 'hello from B' });
  const m = await atModel;
  assert.is(m.text, 'hello from B');
  assert.is(m.from.key, viewer.key);
  const atViewer = next(viewer.socket, 'chat:message');
  await ok(model.socket, 'chat:send', { showId, text: 'hello from A' });
  assert.is((await atViewer).text, 'hello from A');
  assert.is((await viewers).showId, showId);

  // Private: wallets and a channel on the shared chain.
  const clientWallet = new Wallet(chain.demoAccounts[0]!.privateKey, chain.provider);
  const modelWallet = new Wallet(chain.demoAccounts[1]!.privateKey, chain.provider);
  await bind(viewer, clientWallet);
  await bind(model, modelWallet);
  const payer = connectChannels(clientWallet, chain.addresses);
  await payer.openWithPermit(modelWallet.address, LIVE(10));
  const channelId = (await payer.getChannel(clientWallet.address, modelWallet.address)).channelId;

  const asked = next(model.socket, 'private:request');
  const req = await ok(viewer.socket, 'private:request', { model: model.key, pricePerMinute: LIVE(1).toString(), minMinutes: 2, channelId });
  assert.is((await asked).sessionId, req.sessionId);
  const accepted = next(viewer.socket, 'private:accepted');
  const showEnded = next(viewer.socket, 'show:ended', (e) => e.showId === showId);
  await ok(model.socket, 'private:accept', { sessionId: req.sessionId });
  assert.is((await accepted).model.key, model.key);
  assert.is((await showEnded).reason, 'ended', 'the public show ends when the model goes private');

  const offer = next(model.socket, 'private:signal');
  // An offer travels with its signed fingerprint statement, which is the SDP's a=fingerprint (issue 12).
  const fingerprint = 'sha-256 ' + Array.from({ length: 32 }, (_, i) => (i * 7 % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
  const signed = await signFingerprint({ sessionId: req.sessionId, fingerprint, ownKey: viewer.key, peerKey: model.key }, viewer.identity);
  await ok(viewer.socket, 'private:signal', {
    sessionId: req.sessionId, description: { type: 'offer', sdp: `v=0\r\na=fingerprint:${fingerprint}\r\n` },
    fingerprint: { fingerprint, signature: signed.signature },
  });
  assert.is((await offer).from, viewer.key);

  const voucher = await payer.signVoucher(channelId, LIVE(1));
  const relayed = next(model.socket, 'private:voucher');
  await ok(viewer.socket, 'private:voucher', { sessionId: req.sessionId, voucher: { channelId, cumulativeAmount: voucher.cumulativeAmount.toString(), signature: voucher.signature } });
  assert.is((await relayed).paidMinutes, 1);

  const ended = next(viewer.socket, 'private:ended');
  await ok(model.socket, 'private:end', { sessionId: req.sessionId });
  assert.is((await ended).reason, 'ended');
  viewer.socket.close();
  model.socket.close();
});

t('a model that reconnects to the other process within the grace period keeps its show', async () => {
  const model = await login(a.url, 'model');
  const { showId } = await ok(model.socket, 'show:open', {});
  await mediaArrives(a, model, showId);
  const viewer = await login(a.url, 'client');
  await ok(viewer.socket, 'show:watch', { model: model.key });
  model.socket.close();
  const onB = client(bUrl);
  await connected(onB);
  const resumed = await ok(onB, 'session:resume', { token: model.token });
  assert.equal(resumed.showIds, [showId]);
  await sleep(2_500); // past A's grace period: A must see the model on B and leave the show alone
  const got = next(viewer.socket, 'chat:message');
  await ok(onB, 'chat:send', { showId, text: 'still live from B' });
  assert.is((await got).text, 'still live from B');
  const listed = await ok(viewer.socket, 'directory:subscribe', {});
  assert.ok(listed.models.some((m) => m.key === model.key && m.status === 'public' && m.showId === showId));
  const ended = next(viewer.socket, 'show:ended');
  await ok(onB, 'show:close', {});
  assert.is((await ended).reason, 'ended');
  onB.close();
  viewer.socket.close();
});

t.run();

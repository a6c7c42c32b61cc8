/**
 * Shared setup of the private-call suites: a real dev chain, a signaling server (memory or real Redis), a model
 * with a price, a client with a bound wallet and an open channel to the model's wallet, and helpers to start a
 * session, sign vouchers and build the signed fingerprint that travels with an offer or answer.
 */
import { Wallet, parseUnits } from 'ethers';
import { startDevChain, type DevChain } from '../../contracts/devchain.ts';
import { connectChannels, type LiveChannelsClient } from '../../contracts/client.ts';
import { bindWallet, walletBindingMessage } from '../../contracts/wallet-binding.ts';
import { signFingerprint } from '../../crypto/fingerprint.ts';
import type { Tuning } from '../../signaling/context.ts';
import type { Config } from '../../signaling/config.ts';
import { login, next, ok, startRedis, startServer, testConfig, type RedisHandle, type Running, type User } from './helpers.ts';

export const LIVE = (n: number) => parseUnits(String(n), 18);
export const PRICE = LIVE(2);
export const MIN_MINUTES = 2;

export interface PrivateWorld {
  chain: DevChain;
  redis: RedisHandle | null;
  run: Running;
  model: User;
  client: User;
  payer: LiveChannelsClient;
  /** The client's (sender's) and the model's (receiver's) wallet addresses. */
  wallets: { client: string; model: string };
  channelId: string;
  chainInfo: { provider: DevChain['provider']; addresses: DevChain['addresses']; chainId: number; rpcUrl: string };
  close(): Promise<void>;
}

export async function bind(u: User, w: Wallet): Promise<void> {
  const walletSignature = await w.signMessage(walletBindingMessage(u.key));
  const b = await bindWallet(u.identity, w.address, walletSignature);
  await ok(u.socket, 'wallet:bind', { address: b.address, walletSignature, identitySignature: b.identitySignature });
}

/** Chain, server, a priced model and a client with a channel of `deposit` to it. */
export async function privateWorld(opts: { redis?: boolean; tuning?: Partial<Tuning>; config?: Config; deposit?: bigint } = {}): Promise<PrivateWorld> {
  const chain = await startDevChain({ port: 0, demoAccounts: 3 });
  const redis = opts.redis ? await startRedis() : null;
  const config = opts.config ?? testConfig();
  const chainInfo = { provider: chain.provider, addresses: chain.addresses, chainId: chain.chainId, rpcUrl: chain.rpcUrl };
  const run = await startServer({ config: redis ? { ...config, REDIS_URL: redis.url } : config, chain: chainInfo, tuning: opts.tuning });
  const clientWallet = new Wallet(chain.demoAccounts[0]!.privateKey, chain.provider);
  const modelWallet = new Wallet(chain.demoAccounts[1]!.privateKey, chain.provider);
  const model = await login(run.url, 'model');
  const client = await login(run.url, 'client');
  await ok(model.socket, 'model:setPrice', { pricePerMinute: PRICE.toString(), minMinutes: MIN_MINUTES });
  await bind(client, clientWallet);
  await bind(model, modelWallet);
  const payer = connectChannels(clientWallet, chain.addresses);
  await payer.openWithPermit(modelWallet.address, opts.deposit ?? LIVE(40));
  const channelId = (await payer.getChannel(clientWallet.address, modelWallet.address)).channelId;
  const world: PrivateWorld = {
    chain, redis, run, model, client, payer, channelId, chainInfo,
    wallets: { client: clientWallet.address, model: modelWallet.address },
    async close() {
      world.model.socket.close();
      world.client.socket.close();
      await world.run.server.close();
      await redis?.stop();
      await chain.close();
    },
  };
  return world;
}

/** Requests and accepts a session; `direct` opts in on each side as given. */
export async function startSession(w: PrivateWorld, direct: { client?: boolean; model?: boolean } = {}) {
  const asked = next(w.model.socket, 'private:request');
  const r = await ok(w.client.socket, 'private:request', {
    model: w.model.key, pricePerMinute: PRICE.toString(), minMinutes: MIN_MINUTES, channelId: w.channelId,
    ...(direct.client === undefined ? {} : { direct: direct.client }),
  });
  await asked;
  const accepted = next(w.client.socket, 'private:accepted', (e) => e.sessionId === r.sessionId);
  const terms = await ok(w.model.socket, 'private:accept', { sessionId: r.sessionId, ...(direct.model === undefined ? {} : { direct: direct.model }) });
  return { sessionId: r.sessionId, terms, clientTerms: await accepted };
}

/** A voucher payload for the client's channel. */
export async function voucher(w: PrivateWorld, amount: bigint) {
  const v = await w.payer.signVoucher(w.channelId, amount);
  return { channelId: w.channelId, cumulativeAmount: v.cumulativeAmount.toString(), signature: v.signature };
}

/** A DTLS-style fingerprint derived from `seed`. */
export function fakeFingerprint(seed: number): string {
  return 'sha-256 ' + Array.from({ length: 32 }, (_, i) => ((i * seed + 3) % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
}

/** The signed statement `from` sends to `to` in this session. */
export async function signedFingerprint(sessionId: string, from: User, to: User, fingerprint: string) {
  const signed = await signFingerprint({ sessionId, fingerprint, ownKey: from.key, peerKey: to.key }, from.identity);
  return { fingerprint, signature: signed.signature };
}

/** A small but real-looking SDP: one audio section, its fingerprint, ICE credentials and the given candidate lines. */
export function sdp(fingerprint: string, candidates: string[] = [], eol = '\r\n'): string {
  return [
    'v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0', 'a=msid-semantic: WMS',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0',
    'a=ice-ufrag:abcd', 'a=ice-pwd:0123456789abcdefghijklmn', 'a=ice-options:trickle',
    `a=fingerprint:${fingerprint}`, 'a=setup:actpass', 'a=mid:0', 'a=sendrecv', 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2',
    ...candidates.map((c) => `a=${c}`), '',
  ].join(eol);
}

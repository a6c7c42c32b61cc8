/**
 * The same-origin chain routes against the real embedded chain: chain info, the JSON-RPC proxy (what a wallet
 * needs passes, a real transaction goes through; node-driving methods are refused and change nothing), body and
 * batch limits, the faucet on the demo chain (funds, rate limit) and off elsewhere, and a model's receiver wallet.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { JsonRpcProvider, Wallet, parseEther, parseUnits } from 'ethers';
import pino from 'pino';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectChannels } from '../../contracts/client.ts';
import { startDevChain, type DevChain } from '../../contracts/devchain.ts';
import { createChainRouter } from '../../signaling/chain-routes.ts';
import { CHAIN_INFO_PATH, FAUCET_PATH, RECEIVER_PATH, RPC_PATH, type ChainInfoBody, type ReceiverBody } from '../../signaling/protocol.ts';
import { bindWallet, verifyWalletBinding, walletBindingMessage } from '../../contracts/wallet-binding.ts';
import { createIdentity } from '../../crypto/identity.ts';
import { Store } from '../../signaling/store.ts';
import { Records } from '../../signaling/records.ts';

interface App { url: string; server: Server; store: Store }

async function serve(chain: DevChain, faucet: boolean): Promise<App> {
  const store = new Store();
  // Wallet bindings are sealed records, as server.ts sets up.
  store.sealWith(new Records(store, [{ id: 'k1', key: randomBytes(32) }]));
  const app = express();
  app.use(createChainRouter({
    chain: { provider: chain.provider, rpcUrl: chain.rpcUrl, chainId: chain.chainId, addresses: chain.addresses },
    devChain: faucet ? chain : null,
    store,
    logger: pino({ level: 'silent' }),
    faucetEth: parseEther('0.5'),
    faucetLive: parseUnits('250', 18),
    faucetPerMinute: 5,
  }));
  const server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, store };
}

async function rpc(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url + RPC_PATH, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

const postJson = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

let chain: DevChain;
let on: App;
let off: App;

const setup = async () => {
  chain ??= await startDevChain({ port: 0, demoAccounts: 2, challengePeriodSeconds: 120, platformFeeBps: 300 });
  on ??= await serve(chain, true);
  off ??= await serve(chain, false);
};
const teardown = async () => {
  on?.server.close();
  off?.server.close();
  await chain?.close();
};

const info = suite('chain info');
info.before(setup);

info('answers the chain, the contracts and their terms; faucet only on the demo chain', async () => {
  const body = await (await fetch(on.url + CHAIN_INFO_PATH)).json() as ChainInfoBody;
  assert.equal(body, {
    chainId: chain.chainId, token: chain.addresses.token, channels: chain.addresses.channels,
    challengePeriodSeconds: 120, feeBps: 300, faucet: true,
  });
  const other = await (await fetch(off.url + CHAIN_INFO_PATH)).json() as ChainInfoBody;
  assert.is(other.faucet, false);
});
info.run();

const proxy = suite('JSON-RPC proxy');
proxy.before(setup);

proxy('passes the reads a wallet needs', async () => {
  const id = await rpc(on.url, { jsonrpc: '2.0', id: 7, method: 'eth_chainId', params: [] });
  assert.equal(id.json, { jsonrpc: '2.0', id: 7, result: '0x' + chain.chainId.toString(16) });
  const balance = await rpc(on.url, { jsonrpc: '2.0', id: 'b', method: 'eth_getBalance', params: [chain.demoAccounts[0]!.address, 'latest'] });
  assert.is(BigInt(balance.json.result), await chain.provider.getBalance(chain.demoAccounts[0]!.address));
});

proxy('a wallet on the proxy reads the token and sends a signed transaction', async () => {
  const provider = new JsonRpcProvider(on.url + RPC_PATH, chain.chainId, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  const sender = new Wallet(chain.demoAccounts[0]!.privateKey, provider);
  const receiver = Wallet.createRandom().address;
  const token = connectChannels(sender, chain.addresses);
  await (await token.token.getFunction('transfer').send(receiver, 1234n)).wait();
  assert.is(await connectChannels(chain.provider, chain.addresses).balanceOf(receiver), 1234n);
  provider.destroy();
});

proxy('refuses every method that drives the node, and the chain does not move', async () => {
  const before = await chain.provider.getBlockNumber();
  const balance = await chain.provider.getBalance(chain.demoAccounts[1]!.address);
  const refused = [
    ['evm_mine', []], ['evm_increaseTime', [3600]], ['evm_setNextBlockTimestamp', [2_000_000_000]], ['evm_snapshot', []],
    ['hardhat_setBalance', [chain.demoAccounts[1]!.address, '0x0']], ['hardhat_impersonateAccount', [chain.deployer.address]],
    ['eth_sendTransaction', [{ from: chain.deployer.address, to: chain.demoAccounts[1]!.address, value: '0x1' }]],
    ['eth_sign', [chain.deployer.address, '0x00']], ['personal_sign', ['0x00', chain.deployer.address]],
    ['eth_accounts', []], ['debug_traceTransaction', ['0x' + '0'.repeat(64)]], ['eth_coinbase', []],
  ] as const;
  for (const [method, params] of refused) {
    const { status, json } = await rpc(on.url, { jsonrpc: '2.0', id: 1, method, params });
    assert.is(status, 200, method);
    assert.is(json.error?.code, -32601, `${method} refused`);
    assert.is(json.result, undefined, method);
  }
  assert.is(await chain.provider.getBlockNumber(), before, 'no block mined');
  assert.is(await chain.provider.getBalance(chain.demoAccounts[1]!.address), balance, 'no balance changed');
});

proxy('logs only of the platform\'s contracts, over a bounded range', async () => {
  const token = chain.addresses.token;
  const logs = await rpc(on.url, { jsonrpc: '2.0', id: 1, method: 'eth_getLogs', params: [{ address: token, fromBlock: '0x0', toBlock: 'latest' }] });
  assert.ok(Array.isArray(logs.json.result) && logs.json.result.length > 0, 'the token\'s transfers are there');
  const refused = [
    [{ fromBlock: '0x0' }], // no address: every contract on the chain
    [{ address: chain.deployer.address, fromBlock: '0x0' }],
    [{ address: [token, chain.deployer.address] }],
    [{ address: token, fromBlock: '0x0', toBlock: '0x1000000' }], // too wide
    [{ address: token }, 'extra'],
  ];
  for (const params of refused) {
    const { json } = await rpc(on.url, { jsonrpc: '2.0', id: 2, method: 'eth_getLogs', params });
    assert.is(json.error?.code, -32602, JSON.stringify(params));
  }
});

proxy('checks each request of a batch, and bounds the batch', async () => {
  const { json } = await rpc(on.url, [
    { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] },
    { jsonrpc: '2.0', id: 2, method: 'evm_mine', params: [] },
    { jsonrpc: '2.0', id: 3, method: 42 },
  ]);
  assert.is(json.length, 3);
  assert.ok(typeof json[0].result === 'string' && json[0].result.startsWith('0x'));
  assert.is(json[1].error.code, -32601);
  assert.is(json[2].error.code, -32600);
  const many = Array.from({ length: 21 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_blockNumber', params: [] }));
  assert.is((await rpc(on.url, many)).json.error.code, -32600);
  assert.is((await rpc(on.url, [])).json.error.code, -32600);
});

proxy('malformed and oversized bodies get JSON-RPC errors', async () => {
  assert.is((await rpc(on.url, '{not json')).json.error.code, -32700);
  assert.is((await rpc(on.url, { id: 1, method: 'eth_call', params: 'x' })).json.error.code, -32600);
  const huge = await rpc(on.url, { jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: ['0x' + 'ab'.repeat(100_000)] });
  assert.is(huge.status, 413);
  assert.is(huge.json.error.code, -32600);
});
proxy.run();

const faucet = suite('faucet');
faucet.before(setup);

faucet('funds a fresh wallet with ETH for gas and LIVE, once per cooldown', async () => {
  const fresh = Wallet.createRandom().address;
  const res = await postJson(on.url + FAUCET_PATH, { address: fresh });
  assert.is(res.status, 200);
  assert.is(await chain.provider.getBalance(fresh), parseEther('0.5'));
  assert.is(await connectChannels(chain.provider, chain.addresses).balanceOf(fresh), parseUnits('250', 18));
  const again = await postJson(on.url + FAUCET_PATH, { address: fresh.toLowerCase() });
  assert.is(again.status, 429);
  assert.is(((await again.json()) as any).error.code, 'RATE_LIMITED');
  assert.ok(Number(again.headers.get('retry-after')) > 0);
  assert.is(await chain.provider.getBalance(fresh), parseEther('0.5'), 'paid once');
});

faucet('a ceiling for all addresses together', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await postJson(on.url + FAUCET_PATH, { address: Wallet.createRandom().address })).status);
  // Five per minute in this test, one already spent by the test above.
  assert.equal(statuses, [200, 200, 200, 200, 429, 429]);
});

faucet('validates the body', async () => {
  for (const body of [{}, { address: 'nope' }, { address: Wallet.createRandom().address, extra: 1 }]) {
    const res = await postJson(on.url + FAUCET_PATH, body);
    assert.is(res.status, 400);
    assert.is(((await res.json()) as any).error.code, 'BAD_REQUEST');
  }
  const text = await fetch(on.url + FAUCET_PATH, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
  assert.is(text.status, 400);
  assert.is(((await text.json()) as any).error.code, 'BAD_REQUEST');
});

faucet('is off unless the platform runs the demo chain', async () => {
  const fresh = Wallet.createRandom().address;
  const res = await postJson(off.url + FAUCET_PATH, { address: fresh });
  assert.is(res.status, 404);
  assert.is(((await res.json()) as any).error.code, 'NOT_FOUND');
  assert.is(await chain.provider.getBalance(fresh), 0n);
});

faucet.run();

const receiver = suite('receiver wallet');
receiver.before(setup);
receiver.after(teardown);

receiver('answers an online model\'s bound wallet, never a client\'s', async () => {
  const model = 'M'.repeat(43);
  const client = 'C'.repeat(43);
  await on.store.setWallet(model, chain.demoAccounts[1]!.address);
  await on.store.setWallet(client, chain.demoAccounts[0]!.address);
  await on.store.setPresence(model, { status: 'online', showId: null, pseudonym: 'm' }, 60_000);
  const found = await fetch(`${on.url}${RECEIVER_PATH}/${model}`);
  assert.is(found.status, 200);
  assert.equal(await found.json(), { address: chain.demoAccounts[1]!.address.toLowerCase() });
  const hidden = await fetch(`${on.url}${RECEIVER_PATH}/${client}`);
  assert.is(hidden.status, 404);
  assert.is(((await hidden.json()) as any).error.code, 'NOT_FOUND');
  assert.is((await fetch(`${on.url}${RECEIVER_PATH}/short`)).status, 400);
});

receiver('serves the binding with both signatures, which verifies against the model\'s key', async () => {
  const identity = await createIdentity();
  const modelWallet = new Wallet(chain.demoAccounts[1]!.privateKey);
  const walletSignature = await modelWallet.signMessage(walletBindingMessage(identity.publicKey));
  await on.store.setWalletBinding(identity.publicKey, await bindWallet(identity, modelWallet.address, walletSignature));
  await on.store.setPresence(identity.publicKey, { status: 'online', showId: null, pseudonym: 'm' }, 60_000);
  const body = await (await fetch(`${on.url}${RECEIVER_PATH}/${identity.publicKey}`)).json() as ReceiverBody;
  assert.is(body.address, modelWallet.address.toLowerCase());
  assert.equal(await verifyWalletBinding(body.binding), { identityKey: identity.publicKey, address: modelWallet.address });
});
receiver.run();

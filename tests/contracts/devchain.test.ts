import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import { JsonRpcProvider, Wallet } from 'ethers';
import { artifactsAreFresh, inputHash, readSources } from '../../contracts/artifacts.ts';
import { LiveChannelsAbi } from '../../contracts/abi.ts';
import { connectChannels } from '../../contracts/client.ts';
import { type DevChain, startDevChain } from '../../contracts/devchain.ts';
import { LIVE } from './helpers.ts';

const dev = suite('devchain: in-process EDR with HTTP JSON-RPC');
let chain: DevChain;

dev.before(async () => {
  chain = await startDevChain({ port: 0, demoAccounts: 3, chainId: 4242, platformFeeBps: 100, challengePeriodSeconds: 30 });
});
dev.after(async () => {
  await chain.close();
});

const post = (body: string, init: RequestInit = {}) => fetch(chain.rpcUrl, { method: 'POST', body, headers: { 'content-type': 'application/json' }, ...init });

dev('committed artifacts match the sources (no compile needed at start-up) and abi.ts matches them', async () => {
  assert.ok(artifactsAreFresh(), 'run npm run build:contracts and commit contracts/artifacts and contracts/abi.ts');
  const sources = readSources();
  const changed = { ...sources, 'src/LiveChannels.sol': `${sources['src/LiveChannels.sol']}\n// edit` };
  assert.is.not(inputHash(changed), inputHash(sources), 'a source edit changes the hash');
  const { default: artifact } = await import('../../contracts/artifacts/LiveChannels.json', { with: { type: 'json' } });
  assert.equal(JSON.parse(JSON.stringify(LiveChannelsAbi)), artifact.abi);
});

dev('serves JSON-RPC on a loopback port with the configured chain, deployed contracts and funded demo accounts', async () => {
  assert.match(chain.rpcUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.is(chain.chainId, 4242);
  assert.is(chain.demoAccounts.length, 3);
  const http = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
  try {
    assert.is((await http.getNetwork()).chainId, 4242n);
    assert.ok((await http.getCode(chain.addresses.channels)).length > 2);
    const reader = connectChannels(http, chain.addresses);
    assert.is(await reader.feeBps(), 100n);
    assert.is(await reader.challengePeriod(), 30n);
    for (const a of chain.demoAccounts) {
      assert.ok((await http.getBalance(a.address)) > 0n);
      assert.is(await reader.balanceOf(a.address), LIVE(100000));
      assert.is(new Wallet(a.privateKey).address, a.address);
    }
    // A transaction over HTTP, by another process's view, lands in the same chain as the in-process provider.
    const payer = connectChannels(new Wallet(chain.demoAccounts[0]!.privateKey, http), chain.addresses);
    await payer.openWithPermit(chain.demoAccounts[1]!.address, LIVE(2));
    const seen = await connectChannels(chain.provider, chain.addresses).getChannel(chain.demoAccounts[0]!.address, chain.demoAccounts[1]!.address);
    assert.is(seen.state, 'open');
  } finally {
    http.destroy();
  }
});

dev('handles batches, bad JSON, bad requests, CORS preflight and non-POST methods', async () => {
  const batch = await (await post(JSON.stringify([
    { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] },
    { jsonrpc: '2.0', id: 'b', method: 'eth_blockNumber' },
    { jsonrpc: '2.0', id: 3, method: 'no_such_method', params: [] },
  ]))).json() as { id: unknown; result?: string; error?: { code: number } }[];
  assert.is(batch.length, 3);
  assert.equal(batch.map((r) => r.id), [1, 'b', 3]);
  assert.is(batch[0]!.result, '0x1092');
  assert.ok(batch[2]!.error);
  const parse = await (await post('{not json')).json() as { error: { code: number } };
  assert.is(parse.error.code, -32700);
  const invalid = await (await post(JSON.stringify({ id: 9, method: 42 }))).json() as { id: unknown; error: { code: number } };
  assert.is(invalid.error.code, -32600);
  const empty = await (await post('[]')).json() as { error: { code: number } };
  assert.is(empty.error.code, -32600);
  const pre = await fetch(chain.rpcUrl, { method: 'OPTIONS', headers: { origin: 'http://example.test', 'access-control-request-method': 'POST' } });
  assert.is(pre.status, 204);
  assert.is(pre.headers.get('access-control-allow-origin'), '*');
  assert.match(pre.headers.get('access-control-allow-headers') ?? '', /content-type/);
  const single = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }));
  assert.is(single.headers.get('access-control-allow-origin'), '*');
  assert.is((await fetch(chain.rpcUrl)).status, 405);
  const big = await post('x'.repeat(6 * 1024 * 1024)).catch(() => null);
  if (big) assert.is(big.status, 413);
});

dev('time travel moves block timestamps', async () => {
  const before = (await chain.provider.getBlock('latest'))!.timestamp;
  await chain.increaseTime(1000);
  assert.ok((await chain.provider.getBlock('latest'))!.timestamp >= before + 1000);
});

dev('a port already in use is a clear error', async () => {
  const port = Number(new URL(chain.rpcUrl).port);
  try {
    await startDevChain({ port, demoAccounts: 0 });
    assert.unreachable('should not listen twice on one port');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'PAYMENT_RPC_ERROR');
    assert.match((err as Error).message, String(port));
  }
});

dev('close is idempotent and frees the port', async () => {
  const other = await startDevChain({ port: 0, demoAccounts: 1 });
  const port = Number(new URL(other.rpcUrl).port);
  await Promise.all([other.close(), other.close()]);
  await other.close();
  await new Promise<void>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => s.close(() => resolve()));
  });
});

dev.run();

const main = suite('devchain-main: the chain as its own process');

main('prints the addresses, serves JSON-RPC and stops on SIGTERM', async () => {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['--import', 'tsx', 'contracts/devchain-main.ts'], {
    env: { ...process.env, CHAIN_PORT: '0', DEMO_ACCOUNTS: '2', CHAIN_ID: '777' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no output in 60 s: ${out}`)), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d;
        if (out.includes('LIVE_CHANNELS_ADDRESS=')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
    });
    assert.match(out, /LIVE_TOKEN_ADDRESS=0x[0-9a-fA-F]{40}/);
    const url = /RPC_URL=(\S+)/.exec(out)?.[1];
    assert.ok(url);
    const res = await fetch(url!, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }) });
    assert.is(((await res.json()) as { result: string }).result, '0x309');
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.is(await exited, 0);
  } finally {
    child.kill('SIGKILL');
  }
});

main('refuses a bad environment value', async () => {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'contracts/devchain-main.ts'], { env: { ...process.env, PLATFORM_FEE_BPS: '5000' }, encoding: 'utf8' });
  assert.is(r.status, 2);
  assert.match(r.stderr, /PLATFORM_FEE_BPS/);
});

main.run();

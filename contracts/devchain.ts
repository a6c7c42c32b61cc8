/**
 * A local development chain in this process: EDR (Cancun, automine) with LiveToken and LiveChannels deployed,
 * demo accounts funded with ETH and LIVE, and an HTTP JSON-RPC endpoint (for browser wallets and other
 * processes) bound only to the host given. Starts in well under a second from the committed artifacts.
 *
 * The demo keys are the well-known Hardhat/Anvil development keys (mnemonic "test test ... junk"): public
 * knowledge, for a local demo only, never for a real network.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Provider as EdrProvider } from '@nomicfoundation/edr';
import { ContractFactory, HDNodeWallet, Mnemonic, Wallet, parseEther, parseUnits, type Provider } from 'ethers';
import { loadArtifacts } from './artifacts.ts';
import { EdrEthersProvider, type RpcResponse, createEdrChain, edrRequest } from './edr-provider.ts';
import { PaymentError } from './errors.ts';

export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';
/** 1,000,000,000 LIVE, the token's fixed supply on the dev chain. */
export const DEV_TOKEN_SUPPLY = parseUnits('1000000000', 18);

export interface DevChainOptions {
  /** Interface the HTTP JSON-RPC server binds to (default 127.0.0.1). */
  host?: string;
  /** HTTP port; 0 picks a free one (default 8545). */
  port?: number;
  /** Chain id (default 31337). */
  chainId?: number;
  /** Platform fee in basis points, at most 1000 (default 250). */
  platformFeeBps?: number;
  /** Seconds between a client's close request and their withdrawal (default 600). */
  challengePeriodSeconds?: number;
  /** How many funded demo accounts to create (default 5). */
  demoAccounts?: number;
  /** LIVE given to each demo account (default 100,000 LIVE). */
  demoLiveBalance?: bigint;
  /** ETH given to each account at genesis (default 10,000 ETH). */
  demoEthBalance?: bigint;
}

export interface DevAccount {
  address: string;
  privateKey: string;
}

export interface DevChain {
  /** HTTP JSON-RPC endpoint on host:port, for browser wallets and other processes. */
  rpcUrl: string;
  chainId: number;
  addresses: { token: string; channels: string };
  /** Funded with ETH and LIVE. */
  demoAccounts: DevAccount[];
  /** Deployed the contracts, holds the rest of the LIVE supply and receives the platform fee. */
  deployer: Wallet;
  /** Receives the platform fee (the deployer's address). */
  feeRecipient: string;
  platformFeeBps: number;
  challengePeriodSeconds: number;
  /** In-process provider: no socket, fast. */
  provider: Provider;
  /** Sends a raw JSON-RPC request to the chain (e.g. `evm_increaseTime`). */
  request(method: string, params?: unknown[]): Promise<unknown>;
  /** Moves the chain's clock forward and mines a block. */
  increaseTime(seconds: number): Promise<void>;
  /** Stops the HTTP server and the provider; idempotent. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 5 * 1024 * 1024;
const MAX_BATCH = 100;

/** Starts a dev chain; see the module comment. */
export async function startDevChain(opts: DevChainOptions = {}): Promise<DevChain> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 8545;
  const chainId = opts.chainId ?? 31337;
  const platformFeeBps = opts.platformFeeBps ?? 250;
  const challengePeriodSeconds = opts.challengePeriodSeconds ?? 600;
  const demoCount = opts.demoAccounts ?? 5;
  const liveEach = opts.demoLiveBalance ?? parseUnits('100000', 18);
  const ethEach = opts.demoEthBalance ?? parseEther('10000');
  if (!Number.isInteger(demoCount) || demoCount < 0 || demoCount > 1000) {
    throw new PaymentError('PAYMENT_BAD_INPUT', `demoAccounts must be an integer in [0, 1000], got ${demoCount}`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new PaymentError('PAYMENT_BAD_INPUT', `port must be an integer in [0, 65535], got ${port}`);
  }
  if (liveEach * BigInt(demoCount) > DEV_TOKEN_SUPPLY) {
    throw new PaymentError('PAYMENT_BAD_INPUT', 'demo LIVE balances exceed the token supply');
  }

  const root = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), "m/44'/60'/0'/0");
  const keys = Array.from({ length: demoCount + 1 }, (_, i) => root.deriveChild(i));
  const [deployerNode, ...demoNodes] = keys;
  if (!deployerNode) throw new Error('unreachable: no deployer key');

  const [artifacts, edr] = await Promise.all([
    loadArtifacts(),
    createEdrChain({
      chainId,
      genesisAccounts: keys.map((k) => ({ address: k.address, balanceWei: ethEach })),
      ownedKeys: keys.map((k) => k.privateKey),
    }),
  ]);
  const provider = new EdrEthersProvider(edr, chainId);
  const deployer = new Wallet(deployerNode.privateKey, provider);

  const tokenFactory = new ContractFactory(artifacts.LiveToken.abi as never[], artifacts.LiveToken.bytecode, deployer);
  const token = await tokenFactory.deploy(deployer.address, DEV_TOKEN_SUPPLY);
  await token.waitForDeployment();
  const channelsFactory = new ContractFactory(artifacts.LiveChannels.abi as never[], artifacts.LiveChannels.bytecode, deployer);
  const channels = await channelsFactory.deploy(await token.getAddress(), platformFeeBps, deployer.address, challengePeriodSeconds);
  await channels.waitForDeployment();
  const addresses = { token: await token.getAddress(), channels: await channels.getAddress() };

  // Fund demo accounts; automine makes each transfer final at once, so send them back to back.
  const transfer = token.getFunction('transfer');
  let nonce = await provider.getTransactionCount(deployer.address, 'pending');
  for (const node of demoNodes) {
    if (liveEach > 0n) await transfer.send(node.address, liveEach, { nonce: nonce++ });
  }

  const request = async (method: string, params: unknown[] = []): Promise<unknown> => {
    const res = await edrRequest(edr, { id: 1, method, params });
    if (res.error) throw new PaymentError('PAYMENT_RPC_ERROR', `${method}: ${res.error.message}`);
    return res.result;
  };

  const server = createServer((req, res) => {
    handleHttp(edr, req, res).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 5_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (cause) {
    provider.destroy();
    throw new PaymentError('PAYMENT_RPC_ERROR', `dev chain cannot listen on ${host}:${port}`, { cause });
  }
  const bound = server.address() as AddressInfo;
  const urlHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;

  let closed: Promise<void> | undefined;
  return {
    rpcUrl: `http://${urlHost}:${bound.port}`,
    chainId,
    addresses,
    demoAccounts: demoNodes.map((n) => ({ address: n.address, privateKey: n.privateKey })),
    deployer,
    feeRecipient: deployer.address,
    platformFeeBps,
    challengePeriodSeconds,
    provider,
    request,
    async increaseTime(seconds: number) {
      await request('evm_increaseTime', [seconds]);
      await request('evm_mine', []);
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        provider.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function rpcError(id: RpcResponse['id'], code: number, message: string): RpcResponse {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

async function handleOne(edr: EdrProvider, item: unknown): Promise<RpcResponse> {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return rpcError(null, -32600, 'Invalid request');
  const { id, method, params } = item as { id?: unknown; method?: unknown; params?: unknown };
  const safeId = typeof id === 'number' || typeof id === 'string' ? id : null;
  if (typeof method !== 'string' || method.length === 0 || method.length > 100) return rpcError(safeId, -32600, 'Invalid request: method');
  if (params !== undefined && typeof params !== 'object') return rpcError(safeId, -32602, 'Invalid params');
  return edrRequest(edr, { id: safeId, method, params });
}

async function handleHttp(edr: EdrProvider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // Any page may use the local demo chain (like a browser wallet would): allow cross-origin JSON-RPC.
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
  res.setHeader('access-control-allow-headers', 'content-type');
  res.setHeader('access-control-max-age', '600');
  if (req.method === 'OPTIONS') {
    res.writeHead(204);
    res.end();
    return;
  }
  if (req.method !== 'POST') {
    sendJson(res, 405, rpcError(null, -32600, 'JSON-RPC over POST only'));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        break;
      }
      chunks.push(chunk);
    }
  } catch {
    res.destroy();
    return;
  }
  if (tooLarge) {
    sendJson(res, 413, rpcError(null, -32600, 'Request too large'));
    req.destroy();
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    sendJson(res, 200, rpcError(null, -32700, 'Parse error'));
    return;
  }
  if (Array.isArray(body)) {
    if (body.length === 0 || body.length > MAX_BATCH) {
      sendJson(res, 200, rpcError(null, -32600, `Batch must hold 1..${MAX_BATCH} requests`));
      return;
    }
    const out: RpcResponse[] = [];
    // In order: a batch of transactions from one account must keep its nonce order.
    for (const item of body) out.push(await handleOne(edr, item));
    sendJson(res, 200, out);
    return;
  }
  sendJson(res, 200, await handleOne(edr, body));
}

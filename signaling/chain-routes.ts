/**
 * The browser's only way to the chain, all on our own origin (the page talks to no third party):
 * - `GET CHAIN_INFO_PATH`: chain id, contract addresses, challenge period, fee, whether the faucet exists;
 * - `POST RPC_PATH`: a JSON-RPC proxy to the platform's chain that passes only the reads a wallet needs (logs only
 *   of our contracts, over a bounded range) and `eth_sendRawTransaction` (signed in the browser), refusing
 *   everything else with a JSON-RPC error, so no page
 *   can drive the node (`evm_*`, `hardhat_*`, `eth_sendTransaction` with the node's own keys, `personal_*`);
 * - `POST FAUCET_PATH {address}`: on the embedded demo chain only, some ETH for gas and some LIVE, rate-limited.
 * - `GET RECEIVER_PATH/<model key>`: the wallet an online model bound, to open a channel to, with both signatures
 *   of the binding: the browser checks them against the model's key from its link before it deposits.
 */
import express, { type Request, type Response, type Router } from 'express';
import { Contract, getAddress, isError, parseEther, parseUnits, type Provider } from 'ethers';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import { LiveChannelsAbi, LiveTokenAbi } from '../contracts/abi.ts';
import type { DevChain } from '../contracts/devchain.ts';
import {
  Address, CHAIN_INFO_PATH, FAUCET_PATH, PublicKey, RECEIVER_PATH, RPC_PATH, describeIssue,
  type ChainInfoBody, type ErrorCode, type ReceiverBody,
} from './protocol.ts';
import type { Store } from './store.ts';
import type { Logger } from 'pino';

/** The JSON-RPC methods a wallet needs: reads, fee estimates and signed transactions. */
export const RPC_ALLOWED_METHODS: ReadonlySet<string> = new Set([
  'eth_chainId', 'net_version', 'eth_blockNumber', 'eth_getBalance', 'eth_getTransactionCount', 'eth_getCode',
  'eth_call', 'eth_estimateGas', 'eth_gasPrice', 'eth_maxPriorityFeePerGas', 'eth_feeHistory',
  'eth_getBlockByNumber', 'eth_getBlockByHash', 'eth_getTransactionByHash', 'eth_getTransactionReceipt',
  'eth_sendRawTransaction', 'eth_getLogs',
]);

/** Widest block range of one `eth_getLogs` (the node would otherwise scan the whole chain for anyone). */
export const RPC_MAX_LOG_BLOCKS = 50_000;

export interface ChainRoutesOptions {
  /** The platform's chain: a provider for reads, the JSON-RPC URL requests are forwarded to, the contracts. */
  chain: { provider: Provider; rpcUrl: string; chainId: number; addresses: { token: string; channels: string } };
  /** The embedded demo chain, whose funded deployer pays the faucet; null turns the faucet off. */
  devChain: DevChain | null;
  /** Where models' bound wallets are kept. */
  store: Store;
  /** True when the model hides from the country of the request (server.ts `hidesFrom`): its wallet, and that it is online, are not told. */
  hidesFrom?: (model: string, req: Request) => Promise<boolean>;
  logger: Logger;
  /** Largest JSON-RPC body, bytes (default 128 KiB: a signed transaction is a few KiB). */
  rpcMaxBytes?: number;
  /** Most requests in one JSON-RPC batch (default 20). */
  rpcMaxBatch?: number;
  /** How long a forwarded request may take, ms (default 15 s). */
  rpcTimeoutMs?: number;
  /** ETH the faucet sends, wei (default 1 ETH). */
  faucetEth?: bigint;
  /** LIVE the faucet sends, base units (default 1,000 LIVE). */
  faucetLive?: bigint;
  /** Seconds before one address may use the faucet again (default 600). */
  faucetCooldownSeconds?: number;
  /** Faucet payouts per minute for all addresses together (default 30), so fresh addresses cannot drain it. */
  faucetPerMinute?: number;
}

type RpcId = string | number | null;
interface RpcError { jsonrpc: '2.0'; id: RpcId; error: { code: number; message: string } }

const RpcRequest = z.object({
  jsonrpc: z.literal('2.0').optional(),
  id: z.union([z.string().max(100), z.number(), z.null()]).optional(),
  method: z.string().min(1).max(64),
  params: z.array(z.unknown()).max(8).optional(),
});

const FaucetBody = z.strictObject({ address: Address });

const BlockTag = z.union([z.enum(['earliest', 'latest', 'safe', 'finalized', 'pending']), z.string().regex(/^0x[0-9a-fA-F]{1,16}$/)]);
const LogFilter = z.strictObject({
  address: z.union([Address, z.array(Address).max(2)]),
  fromBlock: BlockTag.optional(),
  toBlock: BlockTag.optional(),
  blockHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/).optional(),
  topics: z.array(z.union([z.null(), z.string().regex(/^0x[0-9a-fA-F]{64}$/), z.array(z.string().regex(/^0x[0-9a-fA-F]{64}$/)).max(8)])).max(4).optional(),
});

function sendError(res: Response, status: number, code: ErrorCode, message: string): void {
  res.status(status).json({ error: { code, message } });
}

function rpcError(id: RpcId, code: number, message: string): RpcError {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

/** The router for the chain paths; mount it on the signaling app. */
export function createChainRouter(opts: ChainRoutesOptions): Router {
  const router = express.Router();
  const maxBytes = opts.rpcMaxBytes ?? 128 * 1024;
  const maxBatch = opts.rpcMaxBatch ?? 20;
  const timeoutMs = opts.rpcTimeoutMs ?? 15_000;
  const channels = new Contract(opts.chain.addresses.channels, LiveChannelsAbi, opts.chain.provider);
  // Both are immutable in LiveChannels: read once, keep.
  let terms: Promise<{ challengePeriodSeconds: number; feeBps: number }> | null = null;

  router.get(CHAIN_INFO_PATH, async (_req, res) => {
    try {
      terms ??= Promise.all([
        channels.getFunction('challengePeriod').staticCall() as Promise<bigint>,
        channels.getFunction('feeBps').staticCall() as Promise<bigint>,
      ]).then(([period, fee]) => ({ challengePeriodSeconds: Number(period), feeBps: Number(fee) }));
      terms.catch(() => { terms = null; }); // a transient RPC failure must not stick
      const body: ChainInfoBody = {
        chainId: opts.chain.chainId,
        token: opts.chain.addresses.token,
        channels: opts.chain.addresses.channels,
        ...(await terms),
        faucet: opts.devChain !== null,
      };
      res.set('cache-control', 'no-store').json(body);
    } catch (err) {
      opts.logger.warn({ err: String(err) }, 'chain info: RPC failed');
      sendError(res, 503, 'CHAIN_UNAVAILABLE', 'the chain does not answer');
    }
  });

  const ours = new Set([opts.chain.addresses.token, opts.chain.addresses.channels].map((a) => a.toLowerCase()));
  /** Logs only of our two contracts (settlement history, channel events), over a bounded range. */
  const checkLogs = async (params: unknown[] | undefined): Promise<string | null> => {
    const filter = LogFilter.safeParse(params?.[0]);
    if (!filter.success || (params?.length ?? 0) !== 1) return 'eth_getLogs takes one filter object';
    const addresses = [filter.data.address].flat();
    if (addresses.length === 0 || !addresses.every((a) => ours.has(a.toLowerCase()))) return 'eth_getLogs: only the platform\'s contracts';
    if (filter.data.blockHash) return null;
    const block = async (tag: string | undefined, fallback: 'earliest' | 'latest'): Promise<number> => {
      const t = tag ?? fallback;
      if (t === 'earliest') return 0;
      if (t === 'latest' || t === 'safe' || t === 'finalized' || t === 'pending') return opts.chain.provider.getBlockNumber();
      return Number.parseInt(t, 16);
    };
    const [from, to] = await Promise.all([block(filter.data.fromBlock, 'latest'), block(filter.data.toBlock, 'latest')]);
    return to - from > RPC_MAX_LOG_BLOCKS ? `eth_getLogs: at most ${RPC_MAX_LOG_BLOCKS} blocks at a time` : null;
  };

  const forward = async (item: z.infer<typeof RpcRequest>): Promise<unknown> => {
    const id = item.id ?? null;
    if (!RPC_ALLOWED_METHODS.has(item.method)) return rpcError(id, -32601, `method not allowed: ${item.method}`);
    try {
      if (item.method === 'eth_getLogs') {
        const refused = await checkLogs(item.params);
        if (refused) return rpcError(id, -32602, refused);
      }
      const upstream = await fetch(opts.chain.rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id, method: item.method, params: item.params ?? [] }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const answer = await upstream.json() as { result?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } };
      // Pass on only what a JSON-RPC answer holds (a revert's data included: the wallet decodes it).
      if (answer.error) {
        const { code, message, data } = answer.error;
        return {
          jsonrpc: '2.0', id,
          error: { code: typeof code === 'number' ? code : -32000, message: String(message ?? 'error').slice(0, 1000), ...(data === undefined ? {} : { data }) },
        };
      }
      return { jsonrpc: '2.0', id, result: answer.result ?? null };
    } catch (err) {
      opts.logger.warn({ method: item.method, err: String(err) }, 'rpc proxy: chain unreachable');
      return rpcError(id, -32603, 'the chain does not answer');
    }
  };

  router.post(RPC_PATH, express.text({ type: () => true, limit: maxBytes }), async (req: Request, res: Response) => {
    let body: unknown;
    try {
      body = JSON.parse(typeof req.body === 'string' ? req.body : '');
    } catch {
      res.json(rpcError(null, -32700, 'parse error'));
      return;
    }
    const check = (raw: unknown): Promise<unknown> => {
      const parsed = RpcRequest.safeParse(raw);
      if (!parsed.success) {
        const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : null;
        return Promise.resolve(rpcError(typeof id === 'string' || typeof id === 'number' ? id : null, -32600, `invalid request: ${describeIssue(parsed.error)}`));
      }
      return forward(parsed.data);
    };
    if (Array.isArray(body)) {
      if (body.length === 0 || body.length > maxBatch) {
        res.json(rpcError(null, -32600, `a batch holds 1 to ${maxBatch} requests`));
        return;
      }
      const out: unknown[] = [];
      // In order: a batch of transactions from one account must keep its nonce order.
      for (const item of body) out.push(await check(item));
      res.json(out);
      return;
    }
    res.json(await check(body));
  });

  router.post(FAUCET_PATH, express.json({ limit: 1024 }), createFaucet(opts));

  router.get(`${RECEIVER_PATH}/:key`, async (req, res) => {
    const key = PublicKey.safeParse(req.params.key);
    if (!key.success) return sendError(res, 400, 'BAD_REQUEST', 'key: expected a base64url Ed25519 public key');
    if (await opts.hidesFrom?.(key.data, req)) return sendError(res, 403, 'REGION_BLOCKED', 'this model is not available where you connect from');
    // Only an online model's wallet: a client's binding (keys are seen in chat) must never be looked up.
    const [presence, address, signed] = await Promise.all([
      opts.store.getPresence(key.data), opts.store.getWallet(key.data), opts.store.getWalletBinding(key.data),
    ]);
    if (!presence) return sendError(res, 404, 'NOT_FOUND', 'no model with this key is online');
    if (!address) return sendError(res, 404, 'NOT_FOUND', 'this model has no wallet bound yet');
    const body: ReceiverBody = { address };
    // The store keeps the address in lower case; the wallet signed its checksummed form.
    if (signed) body.binding = { v: 1, identityKey: key.data, address: getAddress(signed.address), walletSignature: signed.walletSignature, identitySignature: signed.identitySignature };
    res.set('cache-control', 'no-store').json(body);
  });

  // Bodies that are not JSON, or too large, get the same error shape as everything else; a fault of ours is INTERNAL.
  router.use((err: { status?: number; type?: string }, req: Request, res: Response, _next: (err?: unknown) => void) => {
    // A path parameter with a malformed %-escape (the router's decode fails with a 400) is the client's.
    if (err instanceof URIError && err.status === 400) return sendError(res, 400, 'BAD_REQUEST', 'path: malformed %-escape');
    if (typeof err.type !== 'string' || !err.type.startsWith('entity.')) {
      opts.logger.error({ path: req.path, err: String(err) }, 'chain routes: unexpected error');
      return sendError(res, 500, 'INTERNAL', 'internal error');
    }
    if (req.path === RPC_PATH) {
      res.status(err.status === 413 ? 413 : 400).json(rpcError(null, err.status === 413 ? -32600 : -32700,
        err.status === 413 ? `request larger than ${maxBytes} bytes` : 'parse error'));
      return;
    }
    sendError(res, err.status === 413 ? 413 : 400, 'BAD_REQUEST', err.type === 'entity.too.large' ? 'body too large' : 'body: expected JSON');
  });
  return router;
}

/** `POST FAUCET_PATH`: embedded chain only; each address once per cooldown, and a ceiling for all. */
function createFaucet(opts: ChainRoutesOptions): (req: Request, res: Response) => Promise<void> {
  const eth = opts.faucetEth ?? parseEther('1');
  const live = opts.faucetLive ?? parseUnits('1000', 18);
  const perAddress = new RateLimiterMemory({ points: 1, duration: opts.faucetCooldownSeconds ?? 600 });
  const overall = new RateLimiterMemory({ points: opts.faucetPerMinute ?? 30, duration: 60 });
  // The deployer holds the LIVE supply. Faucet payouts are serialized, and each send asks the chain for the pending
  // nonce (the chain automines), so two requests at once, or another user of the deployer, cannot reuse a nonce.
  const payer = opts.devChain?.deployer ?? null;
  const token = opts.devChain ? new Contract(opts.devChain.addresses.token, LiveTokenAbi, payer) : null;
  let queue: Promise<unknown> = Promise.resolve();

  const pay = async (to: string): Promise<{ ethTx: string; liveTx: string }> => {
    const ethTx = await payer!.sendTransaction({ to, value: eth });
    const liveTx = await token!.getFunction('transfer').send(to, live);
    await Promise.all([ethTx.wait(), liveTx.wait()]);
    return { ethTx: ethTx.hash, liveTx: liveTx.hash };
  };

  return async (req, res) => {
    if (!payer) return sendError(res, 404, 'NOT_FOUND', 'no faucet: this platform does not run the demo chain');
    const body = FaucetBody.safeParse(req.body);
    if (!body.success) return sendError(res, 400, 'BAD_REQUEST', describeIssue(body.error));
    const address = body.data.address.toLowerCase();
    try {
      await perAddress.consume(address);
      await overall.consume('all');
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      res.set('retry-after', String(Math.ceil(err.msBeforeNext / 1000)));
      return sendError(res, 429, 'RATE_LIMITED', 'this address got funds a short while ago; try again later');
    }
    const run = queue.then(() => pay(body.data.address));
    queue = run.catch(() => undefined);
    try {
      const sent = await run;
      res.json({ eth: eth.toString(), live: live.toString(), ...sent });
    } catch (err) {
      await perAddress.delete(address).catch(() => undefined);
      opts.logger.warn({ err: isError(err, 'CALL_EXCEPTION') ? err.shortMessage : String(err) }, 'faucet: payout failed');
      sendError(res, 503, 'CHAIN_UNAVAILABLE', 'the faucet could not send funds');
    }
  };
}

/**
 * An in-process EVM (EDR 0.12, the engine inside Hardhat) and an ethers provider that talks to it without any
 * socket. Node only.
 */
import {
  CANCUN,
  ContractDecoder,
  EdrContext,
  L1_CHAIN_TYPE,
  MineOrdering,
  type Provider as EdrProvider,
  l1GenesisState,
  l1HardforkFromString,
  l1ProviderFactory,
} from '@nomicfoundation/edr';
import { JsonRpcApiProvider, type JsonRpcError, type JsonRpcPayload, type JsonRpcResult, Network, getBytes } from 'ethers';

/** A JSON-RPC response as EDR produces it, with id and version added back. */
export interface RpcResponse {
  jsonrpc: '2.0';
  id: number | string | null;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export interface EdrChainOptions {
  /** Chain id (and network id). */
  chainId: number;
  /** Accounts funded with ETH at genesis. */
  genesisAccounts: { address: string; balanceWei: bigint }[];
  /** Private keys the node may sign `eth_sendTransaction` with (local dev convenience). */
  ownedKeys: string[];
}

// EDR allows a single context per process.
let contextPromise: Promise<EdrContext> | undefined;
function edrContext(): Promise<EdrContext> {
  contextPromise ??= (async () => {
    const ctx = new EdrContext();
    await ctx.registerProviderFactory(L1_CHAIN_TYPE, l1ProviderFactory());
    return ctx;
  })();
  return contextPromise;
}

const BLOCK_GAS_LIMIT = 30_000_000n;

/** Creates a fresh automining Cancun chain. */
export async function createEdrChain(opts: EdrChainOptions): Promise<EdrProvider> {
  const ctx = await edrContext();
  const chainId = BigInt(opts.chainId);
  return ctx.createProvider(
    L1_CHAIN_TYPE,
    {
      allowBlocksWithSameTimestamp: false,
      allowUnlimitedContractSize: false,
      // Without these EDR reports reverts as successes with no data, and ethers says "missing revert data".
      bailOnCallFailure: true,
      bailOnTransactionFailure: true,
      chainId,
      coinbase: new Uint8Array(20),
      defaultTransactionGasLimit: BLOCK_GAS_LIMIT,
      genesisState: [
        ...l1GenesisState(l1HardforkFromString(CANCUN)),
        ...opts.genesisAccounts.map((a) => ({ address: getBytes(a.address), balance: a.balanceWei })),
      ],
      hardfork: CANCUN,
      initialBaseFeePerGas: 1_000_000_000n,
      minGasPrice: 0n,
      mining: { autoMine: true, blockGasLimit: BLOCK_GAS_LIMIT, memPool: { order: MineOrdering.Priority } },
      network: { genesisBlockGasLimit: BLOCK_GAS_LIMIT },
      networkId: chainId,
      observability: {},
      ownedAccounts: opts.ownedKeys,
      precompileOverrides: [],
    },
    { enable: false, decodeConsoleLogInputsCallback: () => [], printLineCallback: () => {} },
    { subscriptionCallback: () => {} },
    new ContractDecoder(),
  );
}

/** Sends one JSON-RPC request object to EDR and returns a complete JSON-RPC response. */
export async function edrRequest(edr: EdrProvider, req: { id?: unknown; method: string; params?: unknown }): Promise<RpcResponse> {
  const id = typeof req.id === 'number' || typeof req.id === 'string' ? req.id : null;
  try {
    const res = await edr.handleRequest(JSON.stringify({ jsonrpc: '2.0', id, method: req.method, params: req.params ?? [] }));
    const data = (typeof res.data === 'string' ? JSON.parse(res.data) : res.data) as Omit<RpcResponse, 'jsonrpc' | 'id'>;
    return { jsonrpc: '2.0', id, ...data };
  } catch (err) {
    return { jsonrpc: '2.0', id, error: { code: -32603, message: err instanceof Error ? err.message : String(err) } };
  }
}

/**
 * ethers provider over an in-process EDR chain. Caching is off (`cacheTimeout: -1`): against an automining chain
 * a cached nonce or block number is stale at once.
 */
export class EdrEthersProvider extends JsonRpcApiProvider {
  readonly #edr: EdrProvider;

  constructor(edr: EdrProvider, chainId: number) {
    super(new Network('livecam-dev', chainId), { staticNetwork: true, cacheTimeout: -1, pollingInterval: 250, batchMaxCount: 1 });
    this.#edr = edr;
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<(JsonRpcResult | JsonRpcError)[]> {
    const list = Array.isArray(payload) ? payload : [payload];
    const out = await Promise.all(list.map((p) => edrRequest(this.#edr, p)));
    return out.map((r) => {
      const id = r.id as number;
      if (r.error) return { id, error: { code: r.error.code, message: r.error.message, data: r.error.data } };
      return { id, result: r.result };
    });
  }
}

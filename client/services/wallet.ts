/**
 * The client's wallet: by default one made in this browser for the identity (its key encrypted at rest, see
 * wallet-keystore.ts), or an injected EIP-1193 wallet (`window.ethereum`) when the person chooses it. It binds
 * itself to the identity (`wallet:bind`), shows ETH and LIVE, asks the demo chain's faucet, and runs the payment
 * channel to a model: open or top up with an EIP-2612 permit in one transaction, request close, withdraw.
 *
 * Every chain read and the embedded wallet's transactions go to our own origin (RPC_PATH), never a third party.
 * This module loads ethers: import it only with `import()` (Services.wallet does).
 */
import { BrowserProvider, JsonRpcProvider, Network, Wallet, type Eip1193Provider, type Signer } from 'ethers';
import { LiveChannelsClient, type ChannelInfo, type TxResult } from '../../contracts/client.ts';
import type { SignedVoucher } from '../../contracts/voucher.ts';
import { bindWallet, verifyWalletBinding, walletBindingMessage } from '../../contracts/wallet-binding.ts';
import { CHAIN_INFO_PATH, FAUCET_PATH, RECEIVER_PATH, RPC_PATH, type ChainInfoBody, type ReceiverBody } from '../../signaling/protocol.ts';
import { ClientError, isClientErrorCode, toClientError } from '../errors.ts';
import { Emitter } from './emitter.ts';
import type { Session } from './session.ts';
import { WalletKeystore, type WalletKind } from './wallet-keystore.ts';

export type { WalletKind } from './wallet-keystore.ts';

/** What the wallet page shows; a new one after every change and every new block. */
export interface WalletState {
  kind: WalletKind;
  address: string;
  /** ETH for gas, wei. */
  eth: bigint;
  /** LIVE, base units. */
  live: bigint;
  /** True once this browser bound the address to the identity. */
  bound: boolean;
  /** The latest block's number and time (unix seconds): withdrawal opens by chain time, not this clock. */
  block: number;
  chainTime: number;
}

/** A channel as the client sees it. */
export interface ChannelView extends ChannelInfo {
  /** The highest voucher this browser signed on the channel, or null. */
  latestVoucher: bigint | null;
  /** What the model can claim: the paid amount or the latest voucher, whichever is higher. */
  committed: bigint;
  /** deposit - committed: what comes back if the channel closes now. */
  refundable: bigint;
  /** Unix seconds from which `withdraw` works, while closing; null otherwise. */
  withdrawableAt: number | null;
  /** True when the chain's time has reached `withdrawableAt`. */
  canWithdraw: boolean;
}

export interface WalletEvents {
  change: [state: WalletState];
}

export interface WalletOptions {
  /** The client session: binding needs its login and identity. */
  session: Session;
  /** Keeps the key and small records (default: IndexedDB `livecam-wallet`). */
  keystore?: WalletKeystore;
  /** The injected wallet, if any (default `window.ethereum`). */
  ethereum?: Eip1193Provider | null;
  /** Our origin (default this page's). */
  origin?: string;
  /** How often new blocks are looked for while someone watches, ms (default 2 s). */
  pollMs?: number;
}

async function json<T>(res: Response): Promise<T> {
  const body = await res.json().catch(() => null) as { error?: { code?: unknown; message?: unknown } } | null;
  if (res.ok && body) return body as T;
  const code = body?.error?.code;
  throw new ClientError(isClientErrorCode(code) ? code : 'NETWORK', String(body?.error?.message ?? res.statusText));
}

export class WalletService {
  readonly events = new Emitter<WalletEvents>();
  readonly chain: ChainInfoBody;
  readonly #session: Session;
  readonly #keystore: WalletKeystore;
  readonly #ethereum: Eip1193Provider | null;
  readonly #origin: string;
  readonly #pollMs: number;
  readonly #rpc: JsonRpcProvider;
  readonly #reader: LiveChannelsClient;
  #owner = '';
  #kind: WalletKind = 'embedded';
  #signer: Signer | null = null;
  #channels: LiveChannelsClient | null = null;
  #state: WalletState | null = null;
  #watchers = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;

  /** Reads the chain's terms from our origin, then opens the wallet the person chose last (embedded by default). */
  static async open(options: WalletOptions): Promise<WalletService> {
    const origin = options.origin ?? location.origin;
    const chain = await json<ChainInfoBody>(await fetch(new URL(CHAIN_INFO_PATH, origin)).catch((cause) => {
      throw new ClientError('NETWORK', 'cannot reach the chain info', { cause });
    }));
    const wallet = new WalletService(options, chain);
    await wallet.#start();
    return wallet;
  }

  private constructor(options: WalletOptions, chain: ChainInfoBody) {
    this.chain = chain;
    this.#session = options.session;
    this.#keystore = options.keystore ?? new WalletKeystore();
    this.#ethereum = options.ethereum !== undefined ? options.ethereum
      : (globalThis as { ethereum?: Eip1193Provider }).ethereum ?? null;
    this.#origin = options.origin ?? location.origin;
    this.#pollMs = options.pollMs ?? 2_000;
    const network = Network.from(chain.chainId);
    // One request per call (the proxy checks each) and no cache: a fast local chain outruns ethers' caches.
    this.#rpc = new JsonRpcProvider(new URL(RPC_PATH, this.#origin).href, network, { staticNetwork: network, batchMaxCount: 1, cacheTimeout: -1 });
    this.#rpc.pollingInterval = 1_000;
    this.#reader = new LiveChannelsClient(this.#rpc, { token: chain.token, channels: chain.channels });
  }

  async #start(): Promise<void> {
    this.#owner = (await this.#session.identity()).publicKey;
    const kind = await this.#keystore.meta<WalletKind>(`kind.${this.#owner}`);
    if (kind === 'injected' && this.#ethereum) {
      // A browser wallet may refuse now; the in-browser one is always there.
      await this.use('injected').catch(() => this.use('embedded'));
    } else {
      await this.use('embedded');
    }
  }

  /** True when the browser has an injected EIP-1193 wallet. */
  get injectedAvailable(): boolean { return this.#ethereum !== null; }

  /** The latest state, or null before the first read. */
  get state(): WalletState | null { return this.#state; }

  /** Switches to the in-browser wallet or the injected one; the choice is remembered. */
  async use(kind: WalletKind): Promise<WalletState> {
    try {
      this.#signer = kind === 'embedded' ? await this.#embedded() : await this.#injected();
      this.#kind = kind;
      this.#channels = this.#reader.connect(this.#signer);
      await this.#keystore.setMeta(`kind.${this.#owner}`, kind);
      return await this.refresh();
    } catch (err) {
      throw toClientError(err);
    }
  }

  async #embedded(): Promise<Signer> {
    const secret = await this.#keystore.secretFor(this.#owner, (s) => new Wallet(s).address);
    return new Wallet(secret, this.#rpc);
  }

  async #injected(): Promise<Signer> {
    const ethereum = this.#ethereum;
    if (!ethereum) throw new ClientError('WALLET_UNAVAILABLE', 'no window.ethereum');
    const want = '0x' + this.chain.chainId.toString(16);
    if ((await ethereum.request({ method: 'eth_chainId' })) !== want) {
      try {
        await ethereum.request({ method: 'wallet_switchEthereumChain', params: [{ chainId: want }] });
      } catch (err) {
        if ((err as { code?: unknown }).code !== 4902) throw err;
        // The wallet does not know this chain: offer it ours, through our own origin.
        await ethereum.request({
          method: 'wallet_addEthereumChain',
          params: [{ chainId: want, chainName: 'LiveCam', rpcUrls: [new URL(RPC_PATH, this.#origin).href], nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 } }],
        });
      }
      if ((await ethereum.request({ method: 'eth_chainId' })) !== want) throw new ClientError('WALLET_WRONG_CHAIN', `wallet is not on chain ${want}`);
    }
    const provider = new BrowserProvider(ethereum, Network.from(this.chain.chainId), { staticNetwork: true, cacheTimeout: -1 });
    provider.pollingInterval = 1_000;
    return provider.getSigner();
  }

  get #address(): string {
    if (!this.#state) throw new ClientError('WALLET_UNAVAILABLE', 'wallet not open');
    return this.#state.address;
  }

  /** Reads balances and the latest block, and tells listeners. */
  async refresh(): Promise<WalletState> {
    const signer = this.#signer;
    if (!signer) throw new ClientError('WALLET_UNAVAILABLE', 'wallet not open');
    try {
      const address = await signer.getAddress();
      const [eth, live, block, bound] = await Promise.all([
        this.#rpc.getBalance(address),
        this.#reader.balanceOf(address),
        this.#rpc.getBlock('latest'),
        this.#keystore.meta<string>(`bound.${this.#owner}`),
      ]);
      this.#state = {
        kind: this.#kind, address, eth, live, bound: bound === address,
        block: block?.number ?? 0, chainTime: block?.timestamp ?? 0,
      };
      this.events.emit('change', this.#state);
      return this.#state;
    } catch (err) {
      throw toClientError(err, 'CHAIN_UNAVAILABLE');
    }
  }

  /** Asks the demo chain's faucet for ETH and LIVE. */
  async faucet(): Promise<WalletState> {
    if (!this.chain.faucet) throw new ClientError('FAUCET_UNAVAILABLE', 'no faucet on this chain');
    const res = await fetch(new URL(FAUCET_PATH, this.#origin), {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ address: this.#address }),
    }).catch((cause) => { throw new ClientError('NETWORK', 'cannot reach the faucet', { cause }); });
    await json<unknown>(res);
    return this.refresh();
  }

  /** Binds the wallet to the identity: the wallet signs the identity key, the identity signs the address. */
  async bind(): Promise<WalletState> {
    const signer = this.#signer;
    if (!signer) throw new ClientError('WALLET_UNAVAILABLE', 'wallet not open');
    try {
      await this.#session.login();
      const identity = await this.#session.identity();
      const address = await signer.getAddress();
      const walletSignature = await signer.signMessage(walletBindingMessage(identity.publicKey));
      const binding = await bindWallet(identity, address, walletSignature);
      await this.#session.request('wallet:bind', { address: binding.address, walletSignature, identitySignature: binding.identitySignature });
      await this.#keystore.setMeta(`bound.${this.#owner}`, binding.address);
      return await this.refresh();
    } catch (err) {
      throw toClientError(err);
    }
  }

  /**
   * The wallet a model bound. A deposit this wallet already has with the model comes first (it is what the person
   * must be able to see and withdraw, even if the model never comes back); otherwise our server is asked, which
   * answers only while the model is online. Its answer counts only with the binding signed by `modelKey` (the key
   * from the link) and by the wallet itself: a lying server cannot point the deposit at a wallet of its own
   * (RECEIVER_UNVERIFIED). The verified answer is remembered here.
   */
  async receiverOf(modelKey: string): Promise<string> {
    const known = await this.knownReceivers();
    const remembered = known[modelKey];
    if (remembered) {
      const { state } = await this.#reader.getChannel(this.#address, remembered).catch(() => ({ state: 'none' }));
      if (state === 'open' || state === 'closing') return remembered;
    }
    try {
      const res = await fetch(new URL(`${RECEIVER_PATH}/${encodeURIComponent(modelKey)}`, this.#origin));
      const address = await verifiedReceiver(modelKey, await json<ReceiverBody>(res));
      if (remembered !== address) await this.#keystore.setMeta(`receivers.${this.#owner}`, { ...known, [modelKey]: address });
      return address;
    } catch (err) {
      if (remembered && !(err instanceof ClientError && err.code === 'RECEIVER_UNVERIFIED')) return remembered;
      throw err instanceof ClientError ? err : new ClientError('NETWORK', 'cannot reach the server', { cause: err });
    }
  }

  /** Every model this wallet looked up, by identity key: where its deposits may be. */
  async knownReceivers(): Promise<Record<string, string>> {
    return await this.#keystore.meta<Record<string, string>>(`receivers.${this.#owner}`) ?? {};
  }

  /** The channel from this wallet to `receiver`, with what is committed and when the rest can be withdrawn. */
  async channel(receiver: string): Promise<ChannelView> {
    try {
      const info = await this.#reader.getChannel(this.#address, receiver);
      const latestVoucher = info.state === 'none' ? null : await this.#keystore.latestVoucher(info.channelId);
      const committed = latestVoucher !== null && latestVoucher > info.paid ? latestVoucher : info.paid;
      const closing = info.state === 'closing';
      const withdrawableAt = closing ? Number(info.closesAt) : null;
      const chainTime = this.#state?.chainTime ?? 0;
      return {
        ...info, latestVoucher, committed,
        refundable: info.deposit > committed ? info.deposit - committed : 0n,
        withdrawableAt, canWithdraw: withdrawableAt !== null && chainTime >= withdrawableAt,
      };
    } catch (err) {
      throw toClientError(err, 'CHAIN_UNAVAILABLE');
    }
  }

  /** Opens the channel to `receiver` with `amount`, or tops it up: one transaction, approved by a permit signature. */
  async deposit(receiver: string, amount: bigint): Promise<TxResult> {
    if (amount <= 0n) throw new ClientError('BAD_AMOUNT', 'amount must be positive');
    const current = await this.channel(receiver);
    if (current.state === 'closing') throw new ClientError('CHANNEL_CLOSING', 'the channel is closing');
    if ((this.#state?.live ?? 0n) < amount) throw new ClientError('INSUFFICIENT_FUNDS', 'not enough LIVE');
    if (this.#state?.eth === 0n) throw new ClientError('INSUFFICIENT_GAS', 'no ETH for the fee');
    return this.#send((c) => current.state === 'open' ? c.topUpWithPermit(receiver, amount) : c.openWithPermit(receiver, amount));
  }

  /** Starts the close: the rest can be withdrawn once the challenge period is over. */
  requestClose(receiver: string): Promise<TxResult> {
    return this.#send((c) => c.requestClose(receiver));
  }

  /** Takes back what the model did not claim, after the challenge period. */
  withdraw(receiver: string): Promise<TxResult> {
    return this.#send((c) => c.withdraw(receiver));
  }

  /** The contracts bound to this wallet's signer (the model's studio settles its vouchers with it). */
  get contracts(): LiveChannelsClient {
    if (!this.#channels) throw new ClientError('WALLET_UNAVAILABLE', 'wallet not open');
    return this.#channels;
  }

  /** The contracts for reads only (any channel, by id). */
  get reader(): LiveChannelsClient { return this.#reader; }

  /** Signs a voucher for `cumulativeAmount` on `channelId` and remembers it as the channel's committed amount. */
  async signVoucher(channelId: string, cumulativeAmount: bigint): Promise<SignedVoucher> {
    const channels = this.#channels;
    if (!channels) throw new ClientError('WALLET_UNAVAILABLE', 'wallet not open');
    try {
      // Kept before it leaves: a voucher the model may hold must count as committed even if the tab dies now.
      await this.#keystore.raiseVoucher(channelId, cumulativeAmount);
      return await channels.signVoucher(channelId, cumulativeAmount);
    } catch (err) {
      throw toClientError(err);
    }
  }

  async #send(run: (c: LiveChannelsClient) => Promise<TxResult>): Promise<TxResult> {
    const channels = this.#channels;
    if (!channels) throw new ClientError('WALLET_UNAVAILABLE', 'wallet not open');
    try {
      const result = await run(channels);
      await this.refresh();
      return result;
    } catch (err) {
      const e = toClientError(err, 'TX_FAILED');
      throw e.code === 'UNKNOWN' ? new ClientError('TX_FAILED', e.message, { cause: err }) : e;
    }
  }

  /** Refreshes on every new block while at least one watcher is on; the returned function stops watching. */
  watch(): () => void {
    this.#watchers++;
    if (this.#watchers === 1) this.#poll();
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      if (--this.#watchers === 0 && this.#timer) {
        clearTimeout(this.#timer);
        this.#timer = null;
      }
    };
  }

  #poll(): void {
    this.#timer = setTimeout(async () => {
      try {
        const block = await this.#rpc.getBlockNumber();
        if (block !== this.#state?.block) await this.refresh();
      } catch {
        // The next tick tries again; the page shows the last good state.
      }
      if (this.#watchers > 0 && !this.#closed) this.#poll();
    }, this.#pollMs);
  }

  /** Stops polling and the provider; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#rpc.destroy();
    this.events.clear();
  }
}

/** The served receiver's address (lower case) once its binding proves `modelKey` and that wallet bound each other. */
async function verifiedReceiver(modelKey: string, body: ReceiverBody): Promise<string> {
  if (!body.binding) throw new ClientError('RECEIVER_UNVERIFIED', 'the server sent the model\'s wallet without its signed binding');
  let proven: { identityKey: string; address: string };
  try {
    proven = await verifyWalletBinding(body.binding);
  } catch (cause) {
    throw new ClientError('RECEIVER_UNVERIFIED', 'the model\'s wallet binding does not verify', { cause });
  }
  if (proven.identityKey !== modelKey) throw new ClientError('RECEIVER_UNVERIFIED', 'the wallet binding is signed by another key than the model\'s in the link');
  if (typeof body.address !== 'string' || proven.address.toLowerCase() !== body.address.toLowerCase()) {
    throw new ClientError('RECEIVER_UNVERIFIED', 'the served address is not the one the binding names');
  }
  return proven.address.toLowerCase();
}

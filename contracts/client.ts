/**
 * Typed client for LiveToken + LiveChannels over ethers v6, usable against any JSON-RPC endpoint or an
 * in-process provider, in Node or the browser (no node: imports). Transactions wait for their receipt and
 * return it; every revert is turned into a PaymentError with a stable code (see errors.ts).
 */
import {
  Contract,
  type ContractRunner,
  type ContractTransactionResponse,
  Interface,
  type Provider,
  Signature,
  type Signer,
  type TransactionReceipt,
  getAddress,
  isError,
} from 'ethers';
import { LiveChannelsAbi, LiveTokenAbi } from './abi.ts';
import { PaymentError, REVERT_CODES, type RevertInfo } from './errors.ts';
import { type SignedVoucher, type VoucherDomain, canonicalSignature, compactSignature, signVoucher, voucherDomain } from './voucher.ts';

export interface ChannelAddresses {
  token: string;
  channels: string;
}

export type ChannelState = 'none' | 'open' | 'closing' | 'closed';
const STATES: readonly ChannelState[] = ['none', 'open', 'closing', 'closed'];

export interface ChannelInfo {
  /** Zero hash when the pair never had a channel. */
  channelId: string;
  sender: string;
  receiver: string;
  deposit: bigint;
  /** Cumulative amount settled on-chain (fee included). */
  paid: bigint;
  /** deposit - paid: what vouchers can still claim. */
  remaining: bigint;
  /** 1 for the pair's first channel, +1 on every reopen. */
  epoch: bigint;
  /** Unix seconds when a requested close completes; 0 when none was requested. */
  closesAt: bigint;
  state: ChannelState;
}

/** A settled transaction: its hash, receipt and gas used. */
export interface TxResult {
  hash: string;
  gasUsed: bigint;
  receipt: TransactionReceipt;
}

/** A voucher to collect in a batch: the channel is named by its sender (the receiver is the caller). */
export interface BatchEntry {
  sender: string;
  voucher: SignedVoucher;
}

/** A voucher to collect on its receiver's behalf: the channel is named by both ends; the payout goes to `receiver`. */
export interface ReceiverBatchEntry {
  sender: string;
  receiver: string;
  voucher: SignedVoucher;
}

/** A sender's close request as the chain logged it. */
export interface CloseRequest {
  channelId: string;
  /** Unix seconds (chain time) after which vouchers are refused and the sender may withdraw. */
  closesAt: bigint;
  blockNumber: number;
}

export interface PermitOptions {
  /** Unix seconds after which the permit is void (default: 1 hour from the latest block). */
  deadline?: bigint;
}

const ZERO_HASH = `0x${'0'.repeat(64)}`;

/** Every custom error either contract can revert with, to decode revert data from either. */
const errorInterface = new Interface([
  ...LiveChannelsAbi.filter((f) => f.type === 'error'),
  ...LiveTokenAbi.filter((f) => f.type === 'error' && !LiveChannelsAbi.some((g) => g.type === 'error' && g.name === f.name)),
] as never[]);

function findRevertData(err: unknown, depth = 0): string | undefined {
  if (depth > 6 || typeof err !== 'object' || err === null) return undefined;
  const e = err as { data?: unknown; error?: unknown; info?: unknown; cause?: unknown };
  if (typeof e.data === 'string' && /^0x[0-9a-fA-F]{8}/.test(e.data)) return e.data;
  for (const next of [e.error, e.info, e.cause, typeof e.data === 'object' ? e.data : undefined]) {
    const found = findRevertData(next, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Decodes a revert from an ethers error (or any error with revert data) into a PaymentError. */
export function toPaymentError(err: unknown): PaymentError {
  if (err instanceof PaymentError) return err;
  const data = findRevertData(err);
  if (data) {
    try {
      const parsed = errorInterface.parseError(data);
      if (parsed) {
        const revert: RevertInfo = { name: parsed.name, args: [...parsed.args] };
        const code = REVERT_CODES[parsed.name] ?? 'PAYMENT_TX_FAILED';
        const args = parsed.args.map((a: unknown) => String(a)).join(', ');
        return new PaymentError(code, `${parsed.name}(${args})`, { cause: err, revert });
      }
    } catch {
      // Not one of ours: fall through.
    }
  }
  if (isError(err, 'CALL_EXCEPTION')) return new PaymentError('PAYMENT_TX_FAILED', err.shortMessage, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new PaymentError('PAYMENT_RPC_ERROR', message.slice(0, 500), { cause: err });
}

async function wrap<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toPaymentError(err);
  }
}

/** LiveToken + LiveChannels bound to one runner (a Provider for reads, a Signer for transactions). */
export class LiveChannelsClient {
  readonly addresses: ChannelAddresses;
  readonly token: Contract;
  readonly channels: Contract;
  readonly #runner: ContractRunner;
  #domain: Promise<VoucherDomain> | undefined;

  constructor(runner: ContractRunner, addresses: ChannelAddresses) {
    this.addresses = { token: getAddress(addresses.token), channels: getAddress(addresses.channels) };
    this.#runner = runner;
    this.token = new Contract(this.addresses.token, LiveTokenAbi, runner);
    this.channels = new Contract(this.addresses.channels, LiveChannelsAbi, runner);
  }

  /** Same contracts, another runner (e.g. another account). */
  connect(runner: ContractRunner): LiveChannelsClient {
    return new LiveChannelsClient(runner, this.addresses);
  }

  get #signer(): Signer {
    const r = this.#runner as Partial<Signer>;
    if (typeof r.signTypedData !== 'function' || typeof r.getAddress !== 'function') {
      throw new PaymentError('PAYMENT_BAD_INPUT', 'this client was created with a read-only runner; connect a Signer');
    }
    return this.#runner as Signer;
  }

  get #provider(): Provider {
    const p = this.#runner.provider ?? (this.#runner as Provider);
    if (typeof (p as Partial<Provider>).getBlock !== 'function') throw new PaymentError('PAYMENT_BAD_INPUT', 'runner has no provider');
    return p;
  }

  // ---------------------------------------------------------------- reads

  /** The voucher domain: this chain and this LiveChannels contract (cached). */
  domain(): Promise<VoucherDomain> {
    this.#domain ??= wrap(async () => {
      const net = await this.#provider.getNetwork();
      return voucherDomain(net.chainId, this.addresses.channels);
    }).catch((err: unknown) => {
      this.#domain = undefined; // a transient RPC failure must not stick
      throw err;
    });
    return this.#domain;
  }

  /** The pair's current (or last) channel. */
  async getChannel(sender: string, receiver: string): Promise<ChannelInfo> {
    const raw = await wrap(() => this.channels.getFunction('getChannel').staticCall(sender, receiver));
    const deposit = raw.deposit as bigint;
    const paid = raw.paid as bigint;
    return {
      channelId: (raw.channelId as string).toLowerCase(),
      sender: getAddress(sender),
      receiver: getAddress(receiver),
      deposit,
      paid,
      remaining: deposit - paid,
      epoch: raw.epoch as bigint,
      closesAt: raw.closesAt as bigint,
      state: STATES[Number(raw.state)] ?? 'none',
    };
  }

  /** The id of the pair's current (or last) channel, or null if the pair never had one. */
  async channelIdOf(sender: string, receiver: string): Promise<string | null> {
    const info = await this.getChannel(sender, receiver);
    return info.channelId === ZERO_HASH ? null : info.channelId;
  }

  /**
   * A channel by id: finds its pair from the `ChannelOpened` event, then reads it. A channel that is no longer
   * the pair's current one (the pair was reopened) is returned as closed with zero amounts. Null if unknown.
   */
  async getChannelById(channelId: string, fromBlock: number = 0): Promise<ChannelInfo | null> {
    const filter = this.channels.filters.ChannelOpened!(channelId);
    const logs = await wrap(() => this.channels.queryFilter(filter, fromBlock));
    const log = logs[0];
    if (!log || !('args' in log)) return null;
    const info = await this.getChannel(log.args[1] as string, log.args[2] as string);
    if (info.channelId === channelId.toLowerCase()) return info;
    return { ...info, channelId: channelId.toLowerCase(), deposit: 0n, paid: 0n, remaining: 0n, closesAt: 0n, state: 'closed' };
  }

  /** The `CloseRequested` events logged in blocks `fromBlock..toBlock` (inclusive), oldest first. */
  async closeRequests(fromBlock: number, toBlock: number): Promise<CloseRequest[]> {
    const filter = this.channels.filters.CloseRequested!();
    const logs = await wrap(() => this.channels.queryFilter(filter, fromBlock, toBlock));
    const out: CloseRequest[] = [];
    for (const log of logs) {
      if (!('args' in log)) continue;
      out.push({ channelId: (log.args[0] as string).toLowerCase(), closesAt: log.args[1] as bigint, blockNumber: log.blockNumber });
    }
    return out;
  }

  async feeBps(): Promise<bigint> {
    return wrap(() => this.channels.getFunction('feeBps').staticCall());
  }

  async feeRecipient(): Promise<string> {
    return wrap(() => this.channels.getFunction('feeRecipient').staticCall());
  }

  async challengePeriod(): Promise<bigint> {
    return wrap(() => this.channels.getFunction('challengePeriod').staticCall());
  }

  async balanceOf(owner: string): Promise<bigint> {
    return wrap(() => this.token.getFunction('balanceOf').staticCall(owner));
  }

  async allowance(owner: string): Promise<bigint> {
    return wrap(() => this.token.getFunction('allowance').staticCall(owner, this.addresses.channels));
  }

  // ---------------------------------------------------------------- sender (client)

  /** Approves LiveChannels to take `amount` of the caller's LIVE. */
  approve(amount: bigint): Promise<TxResult> {
    return this.#send(this.token, 'approve', [this.addresses.channels, amount]);
  }

  /** Opens a channel to `receiver` with `amount` (needs an allowance; see `openWithPermit`). */
  open(receiver: string, amount: bigint): Promise<TxResult> {
    return this.#send(this.channels, 'open', [receiver, amount]);
  }

  /** Opens a channel in one transaction, approving with an EIP-2612 permit signed here. */
  async openWithPermit(receiver: string, amount: bigint, opts: PermitOptions = {}): Promise<TxResult> {
    const p = await this.signPermit(amount, opts);
    return this.#send(this.channels, 'openWithPermit', [receiver, amount, p.deadline, p.v, p.r, p.s]);
  }

  topUp(receiver: string, amount: bigint): Promise<TxResult> {
    return this.#send(this.channels, 'topUp', [receiver, amount]);
  }

  async topUpWithPermit(receiver: string, amount: bigint, opts: PermitOptions = {}): Promise<TxResult> {
    const p = await this.signPermit(amount, opts);
    return this.#send(this.channels, 'topUpWithPermit', [receiver, amount, p.deadline, p.v, p.r, p.s]);
  }

  /** Starts the unilateral close; `withdraw` after the challenge period. */
  requestClose(receiver: string): Promise<TxResult> {
    return this.#send(this.channels, 'requestClose', [receiver]);
  }

  withdraw(receiver: string): Promise<TxResult> {
    return this.#send(this.channels, 'withdraw', [receiver]);
  }

  /** Signs a voucher for `channelId` with this client's signer. */
  async signVoucher(channelId: string, cumulativeAmount: bigint): Promise<SignedVoucher> {
    return signVoucher(this.#signer, await this.domain(), { channelId, cumulativeAmount });
  }

  /** Signs an EIP-2612 permit from the signer to LiveChannels for `amount`. */
  async signPermit(amount: bigint, opts: PermitOptions = {}): Promise<{ deadline: bigint; v: number; r: string; s: string }> {
    const signer = this.#signer;
    return wrap(async () => {
      const owner = await signer.getAddress();
      const [nonce, name, net, block] = await Promise.all([
        this.token.getFunction('nonces').staticCall(owner) as Promise<bigint>,
        this.token.getFunction('name').staticCall() as Promise<string>,
        this.#provider.getNetwork(),
        opts.deadline === undefined ? this.#provider.getBlock('latest') : Promise.resolve(null),
      ]);
      const deadline = opts.deadline ?? BigInt(block?.timestamp ?? Math.floor(Date.now() / 1000)) + 3600n;
      const raw = await signer.signTypedData(
        { name, version: '1', chainId: net.chainId, verifyingContract: this.addresses.token },
        {
          Permit: [
            { name: 'owner', type: 'address' },
            { name: 'spender', type: 'address' },
            { name: 'value', type: 'uint256' },
            { name: 'nonce', type: 'uint256' },
            { name: 'deadline', type: 'uint256' },
          ],
        },
        { owner, spender: this.addresses.channels, value: amount, nonce, deadline },
      );
      const sig = Signature.from(raw);
      return { deadline, v: sig.v, r: sig.r, s: sig.s };
    });
  }

  // ---------------------------------------------------------------- receiver (model)

  /** Collects `voucher` from `sender`'s channel to the caller; the channel stays open. */
  settle(sender: string, voucher: SignedVoucher): Promise<TxResult> {
    return this.#send(this.channels, 'settle', [sender, voucher.cumulativeAmount, canonicalSignature(voucher.signature)]);
  }

  /** Collects many vouchers (all to the caller) in one transaction. */
  settleBatch(entries: readonly BatchEntry[]): Promise<TxResult> {
    const items = entries.map((e) => {
      const { r, vs } = compactSignature(e.voucher.signature);
      return { sender: e.sender, cumulativeAmount: e.voucher.cumulativeAmount, r, vs };
    });
    return this.#send(this.channels, 'settleBatch', [items]);
  }

  // ---------------------------------------------------------------- anyone, for the receiver

  /** Collects `voucher` from `sender`'s channel to `receiver` on the receiver's behalf: the payout goes to `receiver`. */
  settleFor(sender: string, receiver: string, voucher: SignedVoucher): Promise<TxResult> {
    return this.#send(this.channels, 'settleFor', [sender, receiver, voucher.cumulativeAmount, canonicalSignature(voucher.signature)]);
  }

  /**
   * Collects many vouchers of many channels and receivers in one transaction, each payout to its receiver.
   * Entries are sent sorted by receiver, so each receiver's payouts share one token transfer.
   */
  settleForBatch(entries: readonly ReceiverBatchEntry[]): Promise<TxResult> {
    const items = entries.map((e) => {
      const { r, vs } = compactSignature(e.voucher.signature);
      return { sender: e.sender, receiver: getAddress(e.receiver), cumulativeAmount: e.voucher.cumulativeAmount, r, vs };
    }).sort((a, b) => (a.receiver < b.receiver ? -1 : a.receiver > b.receiver ? 1 : 0));
    return this.#send(this.channels, 'settleForBatch', [items]);
  }

  /** Closes `sender`'s channel to the caller, collecting `voucher` first if given, and refunds the rest. */
  close(sender: string, voucher?: SignedVoucher): Promise<TxResult> {
    if (!voucher) return this.#send(this.channels, 'close', [sender, 0n, '0x']);
    return this.#send(this.channels, 'close', [sender, voucher.cumulativeAmount, canonicalSignature(voucher.signature)]);
  }

  // ---------------------------------------------------------------- internals

  async #send(contract: Contract, method: string, args: unknown[]): Promise<TxResult> {
    this.#signer; // fail early, with a clear error, on a read-only client
    return wrap(async () => {
      const tx = (await contract.getFunction(method).send(...args)) as ContractTransactionResponse;
      const receipt = await tx.wait();
      if (!receipt) throw new PaymentError('PAYMENT_TX_FAILED', `${method}: no receipt`);
      return { hash: receipt.hash, gasUsed: receipt.gasUsed, receipt };
    });
  }
}

/** Binds the contracts at `addresses` to `runner`. */
export function connectChannels(runner: ContractRunner, addresses: ChannelAddresses): LiveChannelsClient {
  return new LiveChannelsClient(runner, addresses);
}

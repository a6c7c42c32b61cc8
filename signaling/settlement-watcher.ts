/**
 * The platform's settlement watcher: a model's money is safe while they are offline.
 *
 * When a client calls `requestClose`, the model has until `closesAt` to settle their latest voucher; after it the
 * client withdraws the rest. The watcher follows `CloseRequested` on LiveChannels by polling logs from a block
 * cursor (plain `eth_getLogs`, so any EVM JSON-RPC works, not only the embedded chain), and for every closing
 * channel whose kept voucher (signaling/store.ts `keepVoucher`) is above the on-chain `paid`, submits `settleFor`
 * from the platform's submitter wallet as soon as it sees the close: the payout goes to the model, the fee to the
 * fee recipient, the submitter only pays gas. A higher voucher kept later is settled once more, in the last
 * stretch before `closesAt` (`finalWindowSeconds`), and no more: at most two transactions per close. On start it catches up over the last challenge period (older close
 * requests are over anyway); a voucher kept after the close was seen (`vouchers:store`) is picked up on the next
 * poll. It reads `paid` before every submission, so a voucher already settled (by the model or another node) is
 * never sent again; several signaling nodes share the work through a short claim per channel in the store.
 * RPC failures are retried with exponential backoff.
 *
 * Logs carry channel ids and amounts, never pseudonyms or identity keys.
 */
import type pino from 'pino';
import { Wallet, type Provider, type Signer } from 'ethers';
import { type ChannelAddresses, type LiveChannelsClient, type ReceiverBatchEntry, connectChannels } from '../contracts/client.ts';
import { PaymentError } from '../contracts/errors.ts';
import { TypedEmitter } from '../sfu/emitter.ts';
import type { KeptVoucher } from './protocol.ts';
import { ConfigError } from './config.ts';
import type { Store } from './store.ts';

export interface SettlementWatcherOptions {
  /** The chain, over any EVM JSON-RPC provider (or the embedded chain's in-process one). */
  provider: Provider;
  /** LiveToken and LiveChannels on that chain. */
  addresses: ChannelAddresses;
  /** The platform's submitter: pays the gas of each settlement and never receives anything. */
  submitter: Signer & { readonly address: string };
  /** Where the kept vouchers are (and the per-channel claims between nodes). */
  store: Store;
  logger: pino.Logger;
  /** How often the chain is polled for new close requests, ms. */
  pollMs?: number;
  /** Most blocks asked for in one `eth_getLogs`. */
  maxBlockRange?: number;
  /** Blocks re-read on every poll, so a close request that a reorg moved into an already-read height is still seen. */
  reorgDepth?: number;
  /** First and longest wait after an RPC failure, ms (doubling in between). */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** How long one node's claim on a channel keeps the others from submitting it, ms. */
  claimTtlMs?: number;
  /**
   * A closing channel is settled at once, then at most once more, in this last stretch before `closesAt` (seconds,
   * at most half the challenge period): so a client who keeps handing over vouchers a wei higher cannot make the
   * platform pay gas for each of them.
   */
  finalWindowSeconds?: number;
}

export interface SettledEvent {
  channelId: string;
  cumulativeAmount: bigint;
  /** The settlement transaction. */
  hash: string;
}

export interface SettlementWatcherEvents {
  /** A kept voucher was settled on-chain by this watcher. */
  settled: [SettledEvent];
  /** A poll failed (RPC); the next one waits `retryInMs`. */
  error: [{ error: PaymentError; retryInMs: number }];
}

/** A closing channel with a kept voucher above what it paid. */
interface Due {
  kept: KeptVoucher;
  amount: bigint;
}

/** Reverts after which the channel has nothing left to collect: it is no longer followed. */
const CHANNEL_OVER = new Set(['PAYMENT_CHANNEL_NOT_OPEN', 'PAYMENT_CHALLENGE_PERIOD_OVER']);

export class SettlementWatcher {
  readonly events = new TypedEmitter<SettlementWatcherEvents>();
  /** Address of the submitter wallet (it pays the gas). */
  readonly submitter: string;
  readonly #reader: LiveChannelsClient;
  readonly #writer: LiveChannelsClient;
  readonly #provider: Provider;
  readonly #store: Store;
  readonly #logger: pino.Logger;
  readonly #pollMs: number;
  readonly #maxBlockRange: number;
  readonly #reorgDepth: number;
  readonly #retryMinMs: number;
  readonly #retryMaxMs: number;
  readonly #claimTtlMs: number;
  readonly #finalWindowSeconds: number;
  /** The contract's challenge period, read at the catch-up. */
  #period = 0n;
  /** Settlements this watcher submitted per closing channel. */
  readonly #submitted = new Map<string, number>();
  /** Closing channels seen in the logs, by id, with their `closesAt` (chain seconds). */
  readonly #closing = new Map<string, bigint>();
  /** Highest amount known to be paid on-chain per closing channel: no RPC read until a higher voucher is kept. */
  readonly #paid = new Map<string, bigint>();
  /** Last block whose logs were read; null before the catch-up. */
  #cursor: number | null = null;
  #failures = 0;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #started = false;
  #closed: Promise<void> | null = null;

  constructor(opts: SettlementWatcherOptions) {
    this.#provider = opts.provider;
    this.#reader = connectChannels(opts.provider, opts.addresses);
    this.#writer = connectChannels(opts.submitter, opts.addresses);
    this.submitter = opts.submitter.address;
    this.#store = opts.store;
    this.#logger = opts.logger;
    this.#pollMs = opts.pollMs ?? 5_000;
    this.#maxBlockRange = opts.maxBlockRange ?? 2_000;
    this.#reorgDepth = opts.reorgDepth ?? 12;
    this.#retryMinMs = opts.retryMinMs ?? 1_000;
    this.#retryMaxMs = opts.retryMaxMs ?? 60_000;
    this.#claimTtlMs = opts.claimTtlMs ?? 120_000;
    this.#finalWindowSeconds = opts.finalWindowSeconds ?? 600;
  }

  /** Starts following the chain: a catch-up over the last challenge period, then a poll every `pollMs`. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#schedule(0);
  }

  /** Runs one poll now, after any running one; resolves when it is done and throws what it threw. */
  poll(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return this.#run();
  }

  /** Channels the watcher currently follows (closing, challenge period not over). */
  get following(): number {
    return this.#closing.size;
  }

  /** Stops polling and waits for a running poll; idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = null;
      await this.#running?.catch(() => undefined);
      this.events.removeAllListeners();
    })();
    return this.#closed;
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#run().then(() => {
        this.#failures = 0;
        this.#schedule(this.#pollMs);
      }, (err: unknown) => {
        this.#failures++;
        const retryInMs = Math.min(this.#retryMaxMs, this.#retryMinMs * 2 ** (this.#failures - 1));
        const error = err instanceof PaymentError ? err : new PaymentError('PAYMENT_RPC_ERROR', String(err), { cause: err });
        this.#logger.warn({ err: error, retryInMs }, 'settlement watcher: poll failed');
        this.events.emit('error', { error, retryInMs });
        this.#schedule(retryInMs);
      });
    }, ms);
    this.#timer.unref();
  }

  /** Polls never overlap: each one starts after the previous one settled. */
  #run(): Promise<void> {
    const run = (this.#running ?? Promise.resolve()).catch(() => undefined).then(() => this.#tick());
    this.#running = run;
    return run;
  }

  async #tick(): Promise<void> {
    await this.#readCloseRequests();
    const due = await this.#dueSettlements();
    if (due.length > 0) await this.#settle(due);
  }

  async #readCloseRequests(): Promise<void> {
    const latest = await this.#provider.getBlockNumber();
    if (this.#cursor === null) {
      const from = await this.#firstBlockOfChallengeWindow(latest);
      this.#cursor = from - 1;
      this.#logger.info({ fromBlock: from, toBlock: latest }, 'settlement watcher: catching up on close requests');
    }
    let lo = Math.max(0, this.#cursor + 1 - this.#reorgDepth);
    while (lo <= latest) {
      const hi = Math.min(latest, lo + this.#maxBlockRange - 1);
      for (const r of await this.#reader.closeRequests(lo, hi)) this.#closing.set(r.channelId, r.closesAt);
      this.#cursor = Math.max(this.#cursor, hi);
      lo = hi + 1;
    }
  }

  /** The first block whose timestamp is within one challenge period of the latest block (binary search). */
  async #firstBlockOfChallengeWindow(latest: number): Promise<number> {
    const [period, head] = await Promise.all([this.#reader.challengePeriod(), this.#provider.getBlock(latest)]);
    this.#period = period;
    if (!head) return 0;
    const since = BigInt(head.timestamp) - period;
    let lo = 0;
    let hi = latest;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const block = await this.#provider.getBlock(mid);
      if (block && BigInt(block.timestamp) >= since) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  async #dueSettlements(): Promise<Due[]> {
    if (this.#closing.size === 0) return [];
    const head = await this.#provider.getBlock('latest');
    const now = BigInt(head?.timestamp ?? Math.floor(Date.now() / 1000));
    const due: Due[] = [];
    for (const [channelId, closesAt] of this.#closing) {
      if (closesAt <= now) {
        this.#forget(channelId);
        continue;
      }
      const submitted = this.#submitted.get(channelId) ?? 0;
      if (submitted >= 2) continue;
      const finalWindow = BigInt(this.#finalWindowSeconds) < this.#period / 2n ? BigInt(this.#finalWindowSeconds) : this.#period / 2n;
      if (submitted === 1 && closesAt - now > finalWindow) continue;
      const kept = await this.#store.keptVoucher(channelId);
      if (!kept) continue;
      const amount = BigInt(kept.cumulativeAmount);
      if ((this.#paid.get(channelId) ?? -1n) >= amount) continue;
      const info = await this.#reader.getChannel(kept.sender, kept.receiver);
      if (info.channelId !== channelId || info.state !== 'closing') {
        this.#forget(channelId); // withdrawn, or closed by the model: nothing left to collect
        continue;
      }
      this.#paid.set(channelId, info.paid);
      if (info.paid < amount) due.push({ kept, amount });
    }
    return due;
  }

  #forget(channelId: string): void {
    this.#closing.delete(channelId);
    this.#paid.delete(channelId);
    this.#submitted.delete(channelId);
  }

  async #settle(due: Due[]): Promise<void> {
    const claimed: Due[] = [];
    for (const d of due) if (await this.#store.claimSettlement(d.kept.channelId, this.#claimTtlMs)) claimed.push(d);
    try {
      if (claimed.length > 1) {
        try {
          const res = await this.#writer.settleForBatch(claimed.map(entry));
          for (const d of claimed) this.#done(d, res.hash);
          return;
        } catch (err) {
          // One entry the chain refuses (settled meanwhile, say) must not hold up the others: one by one below.
          if (!(err instanceof PaymentError) || !err.revert) throw err;
        }
      }
      for (const d of claimed) await this.#settleOne(d);
    } finally {
      for (const d of claimed) await this.#store.releaseSettlement(d.kept.channelId).catch(() => undefined);
    }
  }

  async #settleOne(d: Due): Promise<void> {
    const { channelId } = d.kept;
    try {
      const res = await this.#writer.settleFor(d.kept.sender, d.kept.receiver, signed(d.kept));
      this.#done(d, res.hash);
    } catch (err) {
      if (!(err instanceof PaymentError) || !err.revert) throw err; // RPC trouble: the poll is retried
      if (err.code === 'PAYMENT_VOUCHER_NOT_NEWER') {
        // Settled meanwhile (by the model, or another node): what the watcher is for has happened.
        this.#logger.debug({ channelId, revert: err.revert.name }, 'settlement watcher: already settled');
        this.#paid.set(channelId, d.amount);
      } else if (CHANNEL_OVER.has(err.code)) {
        this.#logger.error({ channelId, amount: d.kept.cumulativeAmount, revert: err.revert.name }, 'settlement watcher: too late for a kept voucher');
        this.#forget(channelId);
      } else {
        // This voucher will never pass (bad signature, over the deposit): skip it, but a higher one kept later is tried.
        this.#logger.error({ channelId, amount: d.kept.cumulativeAmount, revert: err.revert.name }, 'settlement watcher: the chain refused a kept voucher');
        this.#paid.set(channelId, d.amount);
      }
    }
  }

  #done(d: Due, hash: string): void {
    this.#paid.set(d.kept.channelId, d.amount);
    this.#submitted.set(d.kept.channelId, (this.#submitted.get(d.kept.channelId) ?? 0) + 1);
    this.#logger.info({ channelId: d.kept.channelId, amount: d.kept.cumulativeAmount, tx: hash }, 'settlement watcher: settled a closing channel');
    this.events.emit('settled', { channelId: d.kept.channelId, cumulativeAmount: d.amount, hash });
  }
}

function signed(kept: KeptVoucher): ReceiverBatchEntry['voucher'] {
  return { channelId: kept.channelId, cumulativeAmount: BigInt(kept.cumulativeAmount), signature: kept.signature };
}

function entry(d: Due): ReceiverBatchEntry {
  return { sender: d.kept.sender, receiver: d.kept.receiver, voucher: signed(d.kept) };
}

/**
 * Refuses a LiveChannels whose challenge period is below the configured floor: with a shorter one a client's close
 * could complete before the watcher (or the model) settles.
 */
export async function checkChallengePeriodFloor(provider: Provider, addresses: ChannelAddresses, minSeconds: number): Promise<bigint> {
  const period = await connectChannels(provider, addresses).challengePeriod();
  if (period < BigInt(minSeconds)) {
    throw new ConfigError('MIN_CHALLENGE_PERIOD_SECONDS',
      `expected a LiveChannels challenge period of at least ${minSeconds} s; the contract at ${addresses.channels} has ${period} s`);
  }
  return period;
}

/**
 * Starts the watcher with the configured submitter (`WATCHER_PRIVATE_KEY`), else the embedded chain's settlement
 * account; without either it stays off (null) and says so in the log.
 */
export function startSettlementWatcher(opts: Omit<SettlementWatcherOptions, 'submitter'> & { privateKey: string | undefined }): SettlementWatcher | null {
  if (!opts.privateKey) {
    opts.logger.warn('settlement watcher is OFF: set WATCHER_PRIVATE_KEY so that closing channels are settled while their models are offline');
    return null;
  }
  const submitter = new Wallet(opts.privateKey, opts.provider);
  const watcher = new SettlementWatcher({ ...opts, submitter });
  watcher.start();
  opts.logger.info({ submitter: submitter.address }, 'settlement watcher started');
  return watcher;
}

/**
 * Reads what the ranking needs from any JSON-RPC endpoint (the platform's node, the same-origin `/api/rpc` from a
 * browser, or a public RPC) and keeps it, so later syncs fetch only new blocks. Runs in Node and the browser.
 *
 * Read: every `ChannelOpened` (channel id -> sender, receiver) and `ChannelSettled` (the amount newly taken) of
 * LiveChannels, every LIVE `Transfer`, and the timestamp of each block that settled something. Ranges are asked
 * in windows of `maxBlocksPerQuery` because public endpoints (ours included) bound `eth_getLogs`.
 */
import { Contract, Interface, type JsonRpcApiProvider, type Provider, getAddress, toQuantity } from 'ethers';
import { LiveChannelsAbi, LiveTokenAbi } from './abi.ts';
import { PaymentError } from './errors.ts';
import { type Rating, type RatedSettlement, type RatedTransfer, type RatingParams, RATING_PARAMS, rateModels } from './rating.ts';

export interface RatingLedgerOptions {
  /** The LiveChannels contract; the token is read from it. */
  channels: string;
  /** First block to read (the contracts' deployment block, or 0). */
  fromBlock?: number;
  /** Widest `eth_getLogs` range asked at once (default 50,000, the platform RPC's bound). */
  maxBlocksPerQuery?: number;
  /** Block timestamps asked at once (default 32; a provider that batches sends them as one request). */
  concurrency?: number;
}

const channelsIface = new Interface(LiveChannelsAbi);
const tokenIface = new Interface(LiveTokenAbi);
const OPENED = channelsIface.getEvent('ChannelOpened')!.topicHash;
const SETTLED = channelsIface.getEvent('ChannelSettled')!.topicHash;
const TRANSFER = tokenIface.getEvent('Transfer')!.topicHash;

/** What the ledger reads of a log. */
interface RawLog { topics: readonly string[]; data: string; blockNumber: number; index: number }

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const QUANTITY = /^0x[0-9a-fA-F]{1,16}$/;

interface PendingSettlement { channelId: string; amount: bigint; block: number }

export class RatingLedger {
  readonly #provider: Provider;
  readonly #channels: string;
  readonly #maxBlocks: number;
  readonly #concurrency: number;
  #token: string | null = null;
  /** Next block to read. */
  #nextBlock: number;
  #now = 0;
  #lastBlock = -1;
  readonly #ends = new Map<string, { sender: string; receiver: string }>();
  readonly #blockTime = new Map<number, number>();
  readonly #settlements: RatedSettlement[] = [];
  readonly #transfers: RatedTransfer[] = [];

  constructor(provider: Provider, options: RatingLedgerOptions) {
    this.#provider = provider;
    this.#channels = getAddress(options.channels);
    this.#nextBlock = options.fromBlock ?? 0;
    this.#maxBlocks = options.maxBlocksPerQuery ?? 50_000;
    this.#concurrency = options.concurrency ?? 32;
    if (!Number.isInteger(this.#nextBlock) || this.#nextBlock < 0) throw new PaymentError('PAYMENT_BAD_INPUT', 'fromBlock must be a block number');
    if (!Number.isInteger(this.#maxBlocks) || this.#maxBlocks < 1) throw new PaymentError('PAYMENT_BAD_INPUT', 'maxBlocksPerQuery must be a positive integer');
  }

  /** The last block read (-1 before the first sync). */
  get block(): number { return this.#lastBlock; }
  get settlementCount(): number { return this.#settlements.length; }

  /** Reads every block up to `toBlock` (default: the latest) not read yet. */
  async sync(toBlock?: number): Promise<void> {
    this.#token ??= getAddress(await new Contract(this.#channels, LiveChannelsAbi, this.#provider).getFunction('token').staticCall());
    const to = toBlock ?? await this.#provider.getBlockNumber();
    if (to < this.#nextBlock) return;
    const pending: PendingSettlement[] = [];
    for (let from = this.#nextBlock; from <= to; from += this.#maxBlocks) {
      const end = Math.min(to, from + this.#maxBlocks - 1);
      const [channelLogs, tokenLogs] = await Promise.all([
        this.#logs(this.#channels, [[OPENED, SETTLED]], from, end),
        this.#logs(this.#token, [TRANSFER], from, end),
      ]);
      for (const log of sortLogs(channelLogs)) this.#readChannelLog(log, pending);
      for (const log of sortLogs(tokenLogs)) {
        if (log.topics[0] !== TRANSFER || log.topics.length !== 3) continue;
        this.#transfers.push({ from: topicAddress(log.topics[1]!), to: topicAddress(log.topics[2]!) });
      }
    }
    const blocks = [...new Set([...pending.map((p) => p.block), to])].filter((b) => !this.#blockTime.has(b));
    await this.#fetchTimes(blocks);
    for (const p of pending) {
      const ends = this.#ends.get(p.channelId);
      // A settlement always follows its channel's opening; a log without one means the range started too late.
      if (!ends) throw new PaymentError('PAYMENT_BAD_INPUT', `settlement of unknown channel ${p.channelId}: read from the deployment block`);
      this.#settlements.push({ ...ends, amount: p.amount, timestamp: this.#blockTime.get(p.block)! });
    }
    this.#now = this.#blockTime.get(to)!;
    this.#lastBlock = to;
    this.#nextBlock = to + 1;
  }

  /** The ranking at the last block read. */
  rate(params: Readonly<RatingParams> = RATING_PARAMS): Rating {
    return rateModels({ settlements: this.#settlements, transfers: this.#transfers, now: this.#now, hubs: [this.#channels] }, params);
  }

  /**
   * Raw `eth_getLogs` where the provider speaks JSON-RPC (ethers' Log objects tripled the cost of a read),
   * ethers' getLogs otherwise. A node's answer is checked field by field: it is input from outside.
   */
  async #logs(address: string, topics: (string | string[])[], from: number, to: number): Promise<RawLog[]> {
    const rpc = this.#provider as Partial<Pick<JsonRpcApiProvider, 'send'>>;
    if (typeof rpc.send !== 'function') {
      return (await this.#provider.getLogs({ address, topics, fromBlock: from, toBlock: to }))
        .map((l) => ({ topics: l.topics, data: l.data, blockNumber: l.blockNumber, index: l.index }));
    }
    const raw: unknown = await rpc.send('eth_getLogs', [{ address, topics, fromBlock: toQuantity(from), toBlock: toQuantity(to) }]);
    if (!Array.isArray(raw)) throw new PaymentError('PAYMENT_RPC_ERROR', 'eth_getLogs did not answer a list');
    return raw.map((l: Partial<Record<'topics' | 'data' | 'blockNumber' | 'logIndex', unknown>>) => {
      const ok = Array.isArray(l.topics) && l.topics.every((t) => typeof t === 'string' && HEX32.test(t))
        && typeof l.data === 'string' && /^0x[0-9a-fA-F]*$/.test(l.data)
        && typeof l.blockNumber === 'string' && QUANTITY.test(l.blockNumber) && typeof l.logIndex === 'string' && QUANTITY.test(l.logIndex);
      if (!ok) throw new PaymentError('PAYMENT_RPC_ERROR', 'eth_getLogs answered a malformed log');
      return { topics: (l.topics as string[]).map((t) => t.toLowerCase()), data: l.data as string, blockNumber: Number(l.blockNumber), index: Number(l.logIndex) };
    });
  }

  // Decoded by hand, not with Interface.parseLog: the layouts are fixed and a full ABI decode per log made a
  // 10,000-settlement recompute take seconds of parsing alone.
  #readChannelLog(log: RawLog, pending: PendingSettlement[]): void {
    const [topic, channelId] = log.topics;
    if (!channelId) return;
    if (topic === OPENED && log.topics.length === 4) {
      this.#ends.set(channelId, { sender: topicAddress(log.topics[2]!), receiver: topicAddress(log.topics[3]!) });
    } else if (topic === SETTLED && log.data.length === 2 + 3 * 64) {
      // data: paid (cumulative), payout, fee; the amount newly taken is payout + fee.
      const payout = BigInt(`0x${log.data.slice(66, 130)}`);
      const fee = BigInt(`0x${log.data.slice(130, 194)}`);
      pending.push({ channelId, amount: payout + fee, block: log.blockNumber });
    }
  }

  async #fetchTimes(blocks: number[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < blocks.length) {
        const n = blocks[next++]!;
        const block = await this.#provider.getBlock(n);
        if (!block) throw new PaymentError('PAYMENT_RPC_ERROR', `block ${n} not found`);
        this.#blockTime.set(n, block.timestamp);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, blocks.length) }, worker));
  }
}

/** An indexed address topic (32 bytes, left-padded) as a lower-case address. */
function topicAddress(topic: string): string {
  return `0x${topic.slice(26).toLowerCase()}`;
}

/** Logs in chain order: a node may answer a multi-topic query in any order. */
function sortLogs(logs: readonly RawLog[]): RawLog[] {
  return [...logs].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
}

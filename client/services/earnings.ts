/**
 * The model's earnings, as the earnings page shows them: every private call and tip this browser kept
 * (voucher-vault.ts), each placed on its channel's cumulative amount, and what the chain says was settled
 * (`ChannelSettled` logs of the model's channels, read through our own origin's RPC). A call covers the part
 * `[baseline, highest]` of its channel's total; it is settled once a settlement's `paid` reaches `highest`, and
 * that settlement's transaction is the one shown for it. Money the vault holds but no record explains (another
 * device's calls, merged from the server) is shown too, so the totals always equal the channels' sums.
 *
 * `aggregateEarnings` is pure (tests/client/earnings.test.ts); `readSettlements` is the chain read. No Lit, and no
 * ethers at run time: the page gets the contracts from the wallet service, which loads it.
 */
import type { LiveChannelsClient } from '../../contracts/client.ts';
import type { ServerToClient } from '../../signaling/protocol.ts';
import { ClientError, toClientError } from '../errors.ts';
import type { SessionEarnings, Unsettled, VoucherVault } from './voucher-vault.ts';

/** The server's push to a model of a public show's tip. */
export type TipVoucherEvent = Parameters<ServerToClient['tip:voucher']>[0];

/**
 * How far back the chain is read: the same-origin RPC answers `eth_getLogs` over at most 50,000 blocks
 * (signaling/chain-routes.ts RPC_MAX_LOG_BLOCKS), so the read goes in windows, at most this many.
 */
export const LOG_WINDOW_BLOCKS = 49_999;
export const MAX_LOG_WINDOWS = 20;

/** One `ChannelSettled` event of one of the model's channels. */
export interface Settlement {
  channelId: string;
  /** The channel's new cumulative paid amount, and what went to the model and to the platform this time. */
  paid: bigint;
  payout: bigint;
  fee: bigint;
  txHash: string;
  blockNumber: number;
  logIndex: number;
  /** Block time, ms since the epoch. */
  at: number;
}

/** One row of the earnings table. */
export interface EarningItem {
  id: string;
  /** `private`: a call; `tip`: a public show's tip; `other`: held on the channel, with no record in this browser. */
  kind: 'private' | 'tip' | 'other';
  channelId: string;
  /** The client's pseudonym (or its wallet when no record names it). */
  client: string;
  startedAt: number;
  /** Paid minutes of a call (null when the record cannot tell). */
  minutes: number | null;
  /** Tips within a call. */
  tips: bigint;
  /** What the client paid for it (the fee is taken from this when it is settled). */
  amount: bigint;
  /** How much of `amount` is settled on-chain. */
  settled: bigint;
  state: 'settled' | 'partly' | 'unsettled';
  /** The settlement transaction that paid it (the first whose `paid` covers it), or null. */
  tx: string | null;
}

/** A channel's money not yet settled, with what settling it would pay. */
export interface ChannelOwed {
  channelId: string;
  sender: string;
  state: string;
  unsettled: bigint;
  /** Of `unsettled`: the platform's fee and the model's payout, as the contract computes them. */
  fee: bigint;
  payout: bigint;
}

export interface DayTotal {
  /** Local date, `YYYY-MM-DD`. */
  day: string;
  earned: bigint;
  settled: bigint;
  unsettled: bigint;
}

export interface EarningsReport {
  items: EarningItem[];
  days: DayTotal[];
  channels: ChannelOwed[];
  totals: {
    earned: bigint; settled: bigint; unsettled: bigint;
    /** Settled: what the model received and the fees taken (from the logs, exact). */
    payout: bigint; fee: bigint;
    /** Unsettled: what settling all now would pay and cost. */
    unsettledPayout: bigint; unsettledFee: bigint;
  };
  feeBps: number;
  settlements: Settlement[];
}

export interface EarningsInput {
  /** The vault's call and tip records. */
  sessions: readonly SessionEarnings[];
  /** The vault's channels with their on-chain state (VoucherVault.unsettled). */
  channels: readonly Unsettled[];
  settlements: readonly Settlement[];
  feeBps: number;
}

/** The local date of a time, `YYYY-MM-DD`. */
export function dayOf(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The contract's fee on a settled delta (LiveChannels `_apply`). */
export function feeOf(delta: bigint, feeBps: number): bigint {
  return (delta * BigInt(feeBps)) / 10_000n;
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);
const min = (a: bigint, b: bigint) => (a < b ? a : b);

/** Every row, per-day and channel totals, from the vault and the chain's settlements. */
export function aggregateEarnings(input: EarningsInput): EarningsReport {
  const settlements = [...input.settlements].sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  const byChannel = new Map<string, Settlement[]>();
  for (const s of settlements) {
    const id = s.channelId.toLowerCase();
    byChannel.set(id, [...(byChannel.get(id) ?? []), s]);
  }
  const settledOn = (id: string) => (byChannel.get(id) ?? []).reduce((m, s) => max(m, s.paid), 0n);
  const channelOf = new Map(input.channels.map((c) => [c.channelId.toLowerCase(), c]));

  const items: EarningItem[] = [];
  const ranges = new Map<string, { from: bigint; to: bigint }[]>();
  const place = (id: string, kind: EarningItem['kind'], channelId: string, client: string, startedAt: number,
    from: bigint, to: bigint, minutes: number | null, tips: bigint) => {
    if (to <= from) return;
    const settledTo = settledOn(channelId);
    const settled = min(max(settledTo - from, 0n), to - from);
    const covering = (byChannel.get(channelId) ?? []).find((s) => s.paid >= (settled === to - from ? to : from + settled) && s.paid > from);
    items.push({
      id, kind, channelId, client, startedAt, minutes, tips, amount: to - from, settled,
      state: settled === to - from ? 'settled' : settled > 0n ? 'partly' : 'unsettled',
      tx: settled > 0n ? covering?.txHash ?? null : null,
    });
    ranges.set(channelId, [...(ranges.get(channelId) ?? []), { from, to }]);
  };

  for (const s of input.sessions) {
    const channelId = s.channelId.toLowerCase();
    const from = BigInt(s.baseline);
    const to = BigInt(s.highest);
    const tips = BigInt(s.tips ?? '0');
    const price = BigInt(s.pricePerMinute ?? '0');
    const kind = s.kind === 'tip' ? 'tip' : 'private';
    const minutes = kind === 'private' && price > 0n ? Number((to - from - tips) / price) : null;
    place(s.sessionId, kind, channelId, s.peerPseudonym, s.startedAt, from, to, minutes, kind === 'tip' ? to - from : tips);
  }

  // What the channel holds beyond the records: the gaps of [0, held], held = the kept voucher or the settled total.
  for (const c of input.channels) {
    const channelId = c.channelId.toLowerCase();
    const held = max(BigInt(c.cumulativeAmount), settledOn(channelId));
    let cursor = 0n;
    let gap = 0;
    for (const r of [...(ranges.get(channelId) ?? [])].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0))) {
      if (r.from > cursor) place(`${channelId}:${gap++}`, 'other', channelId, c.sender, c.updatedAt, cursor, r.from, null, 0n);
      cursor = max(cursor, r.to);
    }
    if (held > cursor) place(`${channelId}:${gap}`, 'other', channelId, c.sender, c.updatedAt, cursor, held, null, 0n);
  }
  items.sort((a, b) => b.startedAt - a.startedAt || a.id.localeCompare(b.id));

  const days = new Map<string, DayTotal>();
  for (const i of items) {
    const day = dayOf(i.startedAt);
    const t = days.get(day) ?? { day, earned: 0n, settled: 0n, unsettled: 0n };
    t.earned += i.amount;
    t.settled += i.settled;
    t.unsettled += i.amount - i.settled;
    days.set(day, t);
  }

  const channels: ChannelOwed[] = input.channels.filter((c) => c.unsettled > 0n).map((c) => {
    const fee = feeOf(c.unsettled, input.feeBps);
    return { channelId: c.channelId.toLowerCase(), sender: c.sender, state: c.state, unsettled: c.unsettled, fee, payout: c.unsettled - fee };
  });
  const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);
  return {
    items,
    days: [...days.values()].sort((a, b) => b.day.localeCompare(a.day)),
    channels,
    totals: {
      earned: sum(items.map((i) => i.amount)), settled: sum(items.map((i) => i.settled)),
      unsettled: sum(items.map((i) => i.amount - i.settled)),
      payout: sum(settlements.map((s) => s.payout)), fee: sum(settlements.map((s) => s.fee)),
      unsettledPayout: sum(channels.map((c) => c.payout)), unsettledFee: sum(channels.map((c) => c.fee)),
    },
    feeBps: input.feeBps,
    settlements,
  };
}

/**
 * The `ChannelSettled` logs of the model's channels: those opened to `receiver` (the `ChannelOpened` logs, in
 * windows back from the latest block) and `known` ids (the vault's), with each block's time.
 */
export async function readSettlements(reader: LiveChannelsClient, receiver: string, known: readonly string[]): Promise<Settlement[]> {
  try {
    return await settlementLogs(reader, receiver, known);
  } catch (err) {
    throw toClientError(err, 'CHAIN_UNAVAILABLE');
  }
}

async function settlementLogs(reader: LiveChannelsClient, receiver: string, known: readonly string[]): Promise<Settlement[]> {
  const provider = reader.channels.runner?.provider;
  if (!provider) throw new ClientError('CHAIN_UNAVAILABLE', 'the contracts have no provider');
  const latest = await provider.getBlockNumber();
  const windows: [number, number][] = [];
  for (let to = latest; to >= 0 && windows.length < MAX_LOG_WINDOWS; to -= LOG_WINDOW_BLOCKS + 1) windows.push([Math.max(0, to - LOG_WINDOW_BLOCKS), to]);
  const address = reader.addresses.channels;
  const iface = reader.channels.interface;
  const opened = iface.getEvent('ChannelOpened')!.topicHash;
  const settledTopic = iface.getEvent('ChannelSettled')!.topicHash;
  const receiverTopic = '0x' + receiver.toLowerCase().replace(/^0x/, '').padStart(64, '0');
  const ids = new Set(known.map((k) => k.toLowerCase()));
  for (const [fromBlock, toBlock] of windows) {
    for (const log of await provider.getLogs({ address, fromBlock, toBlock, topics: [opened, null, null, receiverTopic] })) {
      ids.add(log.topics[1]!.toLowerCase());
    }
  }
  if (ids.size === 0) return [];
  const out: Settlement[] = [];
  const times = new Map<number, number>();
  for (const [fromBlock, toBlock] of windows) {
    for (const log of await provider.getLogs({ address, fromBlock, toBlock, topics: [settledTopic, [...ids]] })) {
      const parsed = iface.parseLog({ topics: [...log.topics], data: log.data });
      if (!parsed) continue;
      if (!times.has(log.blockNumber)) times.set(log.blockNumber, ((await provider.getBlock(log.blockNumber))?.timestamp ?? 0) * 1000);
      out.push({
        channelId: log.topics[1]!.toLowerCase(), paid: parsed.args[1] as bigint, payout: parsed.args[2] as bigint, fee: parsed.args[3] as bigint,
        txHash: log.transactionHash, blockNumber: log.blockNumber, logIndex: log.index, at: times.get(log.blockNumber)!,
      });
    }
  }
  return out;
}

/**
 * Keeps a public show's tip in the vault, as the model's browser gets it from the server: checked here first
 * (the channel pays `receiver`, the voucher is signed by its sender and raises it), and recorded as a tip of the
 * raise over what the vault held, not of the amount the server names. Returns true when the vault holds it now.
 */
export async function keepTip(vault: VoucherVault, reader: LiveChannelsClient, receiver: string, tip: TipVoucherEvent): Promise<boolean> {
  const { parseSignedVoucher, verifyVoucher } = await import('../../contracts/voucher.ts');
  let voucher;
  try {
    voucher = parseSignedVoucher(tip.voucher);
  } catch {
    return false; // the server's word: a malformed voucher is not kept
  }
  const latest = await reader.channels.runner?.provider?.getBlockNumber() ?? 0;
  const channel = await reader.getChannelById(voucher.channelId, Math.max(0, latest - LOG_WINDOW_BLOCKS));
  if (!channel || channel.receiver.toLowerCase() !== receiver.toLowerCase()) return false;
  if (!verifyVoucher(await reader.domain(), voucher, channel.sender) || voucher.cumulativeAmount > channel.deposit) return false;
  const before = await vault.get(voucher.channelId);
  const floor = max(before ? BigInt(before.cumulativeAmount) : 0n, channel.paid);
  // Already held (another tab or page of this browser kept it first): recount all the same.
  if (voucher.cumulativeAmount <= floor) return !!before && BigInt(before.cumulativeAmount) >= voucher.cumulativeAmount;
  await vault.keep(voucher, { sender: channel.sender, receiver }, true);
  await vault.recordSession({
    sessionId: `tip:${voucher.channelId}:${voucher.cumulativeAmount}`, kind: 'tip', channelId: voucher.channelId,
    peerPseudonym: tip.from.pseudonym, startedAt: Date.now(), baseline: floor.toString(), highest: voucher.cumulativeAmount.toString(),
  });
  return true;
}

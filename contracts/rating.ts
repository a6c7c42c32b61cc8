/**
 * The directory's ranking, as a pure function of public chain data (contracts/RATING.md explains it to models).
 *
 * Anyone can recompute it: the inputs are the LiveChannels `ChannelOpened`/`ChannelSettled` logs (who paid which
 * model how much, when) and the LIVE `Transfer` logs (who funded whom), read by rating-ledger.ts from any RPC; the
 * reference time is the timestamp of the last block read, so two readers at the same block get the same scores.
 * No clock, randomness or platform data goes in. Runs in Node and the browser.
 */

/** The published parameters. Changing one changes every score: RATING.md names the values in force. */
export interface RatingParams {
  /** A settled amount counts half after this many days, a quarter after twice as many. */
  halfLifeDays: number;
  /** Payers reachable from the model's wallet through this many LIVE transfers count nothing (1 = funded directly). */
  selfFundingHops: number;
  /** A model whose first counted payment is younger than this (or who has none) is new. */
  newModelDays: number;
}

export const RATING_PARAMS: Readonly<RatingParams> = Object.freeze({ halfLifeDays: 7, selfFundingHops: 2, newModelDays: 14 });

/** One collected voucher: `amount` is what the settlement newly took from the deposit (payout + fee). */
export interface RatedSettlement {
  sender: string;
  receiver: string;
  amount: bigint;
  /** Unix seconds of the block that settled it. */
  timestamp: number;
}

/** One LIVE transfer, for the self-funding check. */
export interface RatedTransfer {
  from: string;
  to: string;
}

export interface RatingInputs {
  settlements: readonly RatedSettlement[];
  transfers: readonly RatedTransfer[];
  /** Unix seconds the decay is measured to: the timestamp of the last block read. */
  now: number;
  /** Addresses a funding path never passes through (the channels contract: every refund and payout comes from it). */
  hubs?: readonly string[];
}

export interface ModelRating {
  /** The model's wallet (lower case). */
  receiver: string;
  /** Sum over distinct counted payers of sqrt(decayed LIVE that payer paid). */
  score: number;
  /** The score the directory orders by: new models get at least `prior`. */
  rankScore: number;
  isNew: boolean;
  /** Distinct payers counted / left out as funded by the model's own wallet. */
  payers: number;
  selfFundedPayers: number;
  /** Unix seconds of the first counted payment, null without one. */
  firstPaidAt: number | null;
}

export interface Rating {
  /** Best first; ties broken by wallet address so the order is total. */
  models: ModelRating[];
  /** The same ratings by wallet (lower case). */
  index: ReadonlyMap<string, ModelRating>;
  /** Median score of established models: where a new model starts (0 when there are none). */
  prior: number;
  now: number;
}

const DAY_SECONDS = 86_400;
/** LIVE has 18 decimals; amounts become LIVE before the square root so the score does not depend on units. */
const WEI_PER_LIVE = 10n ** 18n;

const toLive = (wei: bigint): number => Number(wei / WEI_PER_LIVE) + Number(wei % WEI_PER_LIVE) / 1e18;

/** Wallets reachable from `from` within `hops` transfers, never through a hub. */
function fundedBy(from: string, hops: number, out: Map<string, Set<string>>, hubs: ReadonlySet<string>): Set<string> {
  const reached = new Set<string>();
  let frontier = [from];
  for (let hop = 0; hop < hops && frontier.length > 0; hop++) {
    const next: string[] = [];
    for (const at of frontier) {
      for (const to of out.get(at) ?? []) {
        if (to === from || reached.has(to)) continue;
        reached.add(to);
        if (!hubs.has(to)) next.push(to);
      }
    }
    frontier = next;
  }
  return reached;
}

/** Scores every model that was ever paid, with `params` (RATING_PARAMS unless a test varies them). */
export function rateModels(inputs: RatingInputs, params: Readonly<RatingParams> = RATING_PARAMS): Rating {
  const { now } = inputs;
  const hubs = new Set((inputs.hubs ?? []).map((a) => a.toLowerCase()));
  const out = new Map<string, Set<string>>();
  for (const t of inputs.transfers) {
    const from = t.from.toLowerCase();
    let set = out.get(from);
    if (!set) out.set(from, set = new Set());
    set.add(t.to.toLowerCase());
  }

  // receiver -> payer -> decayed LIVE, and each receiver's first payment.
  const paid = new Map<string, Map<string, number>>();
  const first = new Map<string, number>();
  const selfFunded = new Map<string, Set<string>>();
  const excluded = new Map<string, Set<string>>();
  const halfLife = params.halfLifeDays * DAY_SECONDS;
  for (const s of inputs.settlements) {
    const receiver = s.receiver.toLowerCase();
    const sender = s.sender.toLowerCase();
    if (sender === receiver || s.amount <= 0n) continue;
    let funded = selfFunded.get(receiver);
    if (!funded) selfFunded.set(receiver, funded = fundedBy(receiver, params.selfFundingHops, out, hubs));
    let byPayer = paid.get(receiver);
    if (!byPayer) paid.set(receiver, byPayer = new Map());
    if (funded.has(sender)) {
      let set = excluded.get(receiver);
      if (!set) excluded.set(receiver, set = new Set());
      set.add(sender);
      continue;
    }
    const age = Math.max(0, now - s.timestamp);
    byPayer.set(sender, (byPayer.get(sender) ?? 0) + toLive(s.amount) * 0.5 ** (age / halfLife));
    first.set(receiver, Math.min(first.get(receiver) ?? Infinity, s.timestamp));
  }

  const models: ModelRating[] = [];
  for (const [receiver, byPayer] of paid) {
    let score = 0;
    for (const v of byPayer.values()) score += Math.sqrt(v);
    const firstPaidAt = first.get(receiver) ?? null;
    const isNew = firstPaidAt === null || now - firstPaidAt < params.newModelDays * DAY_SECONDS;
    models.push({ receiver, score, rankScore: score, isNew, payers: byPayer.size, selfFundedPayers: excluded.get(receiver)?.size ?? 0, firstPaidAt });
  }
  const prior = median(models.filter((m) => !m.isNew).map((m) => m.score));
  for (const m of models) if (m.isNew) m.rankScore = Math.max(m.score, prior);
  models.sort(compareRatings);
  return { models, index: new Map(models.map((m) => [m.receiver, m])), prior, now };
}

/** The directory's order: higher rank score first, then wallet address, so every reader sorts alike. */
export function compareRatings(a: Pick<ModelRating, 'rankScore' | 'receiver'>, b: Pick<ModelRating, 'rankScore' | 'receiver'>): number {
  return b.rankScore - a.rankScore || (a.receiver < b.receiver ? -1 : a.receiver > b.receiver ? 1 : 0);
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A model never paid (a wallet not in `rating.models`) is new and starts at the prior. */
export function ratingOf(rating: Rating, receiver: string): ModelRating {
  const r = receiver.toLowerCase();
  return rating.index.get(r)
    ?? { receiver: r, score: 0, rankScore: rating.prior, isNew: true, payers: 0, selfFundedPayers: 0, firstPaidAt: null };
}

/**
 * The model's vouchers, kept in this browser (IndexedDB): each channel's latest voucher (keep-if-higher), and
 * each call's earnings. It hands vouchers that came only over the data channel to the server (`vouchers:store`)
 * when signaling is back, merges what the server kept (`vouchers:list`, another device's calls), tells what is
 * unsettled on-chain, and settles it all in one `settleBatch`, each entry simulated first so that one bad entry
 * (a channel closed meanwhile, a voucher already settled) is dropped, with its reason, instead of reverting the batch.
 */
import { createStore, entries, get, update, type UseStore } from 'idb-keyval';
import type { LiveChannelsClient, TxResult } from '../../contracts/client.ts';
import { toPaymentError } from '../../contracts/client.ts';
import { type SignedVoucher, compactSignature, parseSignedVoucher, voucherToJSON } from '../../contracts/voucher.ts';
import type { KeptVoucher } from '../../signaling/protocol.ts';
import { ClientError } from '../errors.ts';
import type { CallSignaling } from './private-call.ts';

/** A channel's latest voucher as kept here. */
export interface VaultEntry {
  channelId: string;
  /** The channel's sender (client wallet) and receiver (model wallet), lower-case. */
  sender: string;
  receiver: string;
  cumulativeAmount: string;
  signature: string;
  /** True once the server is known to keep a voucher at least this high. */
  synced: boolean;
  updatedAt: number;
}

/** One call's earnings. */
export interface SessionEarnings {
  sessionId: string;
  channelId: string;
  peerPseudonym: string;
  startedAt: number;
  /** What the channel owed before the call, and the highest voucher of the call (cumulative, base units). */
  baseline: string;
  highest: string;
  /** `tip`: a tip in a public show (no minutes); absent on records made before tips were kept: `private`. */
  kind?: 'private' | 'tip';
  /** The call's price per minute and the tips paid in it (base units), to tell minutes from tips. */
  pricePerMinute?: string;
  tips?: string;
}

export interface Unsettled extends VaultEntry {
  /** Paid on-chain so far (cumulative), and what settling this voucher would add (fee included). */
  paid: bigint;
  unsettled: bigint;
  state: string;
}

export interface SettleReport {
  /** The batch transaction, when any entry was left to settle. */
  tx: TxResult | null;
  settled: VaultEntry[];
  /** Entries left out of the batch, with the chain's reason. */
  dropped: { entry: VaultEntry; code: string; reason: string }[];
}

export interface VoucherVaultOptions {
  /** IndexedDB database name (default `livecam-vouchers`; tests use their own). */
  dbName?: string;
}

export class VoucherVault {
  readonly #channels: UseStore;
  readonly #sessions: UseStore;
  #closed = false;

  constructor(options: VoucherVaultOptions = {}) {
    const db = options.dbName ?? 'livecam-vouchers';
    this.#channels = createStore(`${db}-channels`, 'channels');
    this.#sessions = createStore(`${db}-sessions`, 'sessions');
  }

  /** Keeps `voucher` if it is the channel's highest; `synced` when it came through the server. Returns true if kept. */
  async keep(voucher: SignedVoucher, who: { sender: string; receiver: string }, synced: boolean): Promise<boolean> {
    this.#open();
    const v = parseSignedVoucher(voucherToJSON(voucher));
    let kept = false;
    await this.#guard(() => update<VaultEntry>(v.channelId, (old) => {
      if (old && BigInt(old.cumulativeAmount) > v.cumulativeAmount) return old;
      if (old && BigInt(old.cumulativeAmount) === v.cumulativeAmount) return { ...old, synced: old.synced || synced };
      kept = true;
      return {
        channelId: v.channelId, sender: who.sender.toLowerCase(), receiver: who.receiver.toLowerCase(),
        cumulativeAmount: v.cumulativeAmount.toString(), signature: v.signature, synced, updatedAt: Date.now(),
      };
    }, this.#channels));
    return kept;
  }

  /** Records (or raises) a call's earnings. */
  async recordSession(s: SessionEarnings): Promise<void> {
    this.#open();
    await this.#guard(() => update<SessionEarnings>(s.sessionId, (old) => (old && BigInt(old.highest) >= BigInt(s.highest) ? old : s), this.#sessions));
  }

  async get(channelId: string): Promise<VaultEntry | undefined> {
    this.#open();
    return this.#guard(() => get<VaultEntry>(channelId.toLowerCase(), this.#channels));
  }

  async list(): Promise<VaultEntry[]> {
    this.#open();
    return (await this.#guard(() => entries<string, VaultEntry>(this.#channels))).map(([, e]) => e);
  }

  /** Every call's earnings, newest first. */
  async sessions(): Promise<SessionEarnings[]> {
    this.#open();
    return (await this.#guard(() => entries<string, SessionEarnings>(this.#sessions))).map(([, s]) => s).sort((a, b) => b.startedAt - a.startedAt);
  }

  /** Takes in what the server keeps for this model (another device's calls); returns how many raised an entry. */
  async merge(kept: readonly KeptVoucher[]): Promise<number> {
    let raised = 0;
    for (const k of kept) {
      let voucher: SignedVoucher;
      try {
        voucher = parseSignedVoucher(k);
      } catch {
        continue; // the server's word: a malformed one is simply not kept
      }
      if (await this.keep(voucher, { sender: k.sender, receiver: k.receiver }, true)) raised++;
    }
    return raised;
  }

  /** Hands the server every voucher it may not have (`vouchers:store`); returns how many it now holds. */
  async syncToServer(signaling: Pick<CallSignaling, 'request'>, modelKey: string): Promise<number> {
    let synced = 0;
    for (const e of await this.list()) {
      if (e.synced) continue;
      await signaling.request('vouchers:store', { model: modelKey, voucher: { channelId: e.channelId, cumulativeAmount: e.cumulativeAmount, signature: e.signature } });
      await this.#guard(() => update<VaultEntry>(e.channelId, (old) => (old && old.cumulativeAmount === e.cumulativeAmount ? { ...old, synced: true } : old!), this.#channels));
      synced++;
    }
    return synced;
  }

  /** Each kept voucher with what it would add on-chain (its channel read through `chain`). */
  async unsettled(chain: LiveChannelsClient): Promise<Unsettled[]> {
    const out: Unsettled[] = [];
    for (const e of await this.list()) {
      const info = await chain.getChannel(e.sender, e.receiver);
      const current = info.channelId === e.channelId;
      const amount = BigInt(e.cumulativeAmount);
      const paid = current ? info.paid : amount;
      out.push({ ...e, paid, unsettled: current && amount > paid && info.state !== 'closed' ? amount - paid : 0n, state: current ? info.state : 'closed' });
    }
    return out;
  }

  /**
   * Settles every unsettled voucher in one transaction from the model's wallet (`chain` connected to its signer):
   * each entry is simulated alone first (eth_call), the ones the chain would refuse are dropped with the reason.
   * `only`: settle just these channels (by id).
   */
  async settle(chain: LiveChannelsClient, only?: readonly string[]): Promise<SettleReport> {
    const wanted = only ? new Set(only.map((id) => id.toLowerCase())) : null;
    const candidates = (await this.unsettled(chain)).filter((u) => u.unsettled > 0n && (!wanted || wanted.has(u.channelId.toLowerCase())));
    const good: VaultEntry[] = [];
    const dropped: SettleReport['dropped'] = [];
    for (const u of candidates) {
      const { paid: _paid, unsettled: _u, state: _s, ...entry } = u;
      try {
        await chain.channels.getFunction('settleBatch').staticCall([batchItem(entry)]);
        good.push(entry);
      } catch (err) {
        const e = toPaymentError(err);
        dropped.push({ entry, code: e.code, reason: e.message });
      }
    }
    if (good.length === 0) return { tx: null, settled: [], dropped };
    const tx = await chain.settleBatch(good.map((e) => ({ sender: e.sender, voucher: { channelId: e.channelId, cumulativeAmount: BigInt(e.cumulativeAmount), signature: e.signature } })));
    return { tx, settled: good, dropped };
  }

  /** Idempotent; the vouchers stay stored. */
  close(): void {
    this.#closed = true;
  }

  #open(): void {
    if (this.#closed) throw new ClientError('CONFLICT', 'the voucher vault is closed');
  }

  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (cause) {
      if (cause instanceof ClientError) throw cause;
      throw new ClientError('STORAGE_UNAVAILABLE', 'cannot use the voucher store', { cause });
    }
  }
}

function batchItem(e: VaultEntry): { sender: string; cumulativeAmount: bigint; r: string; vs: string } {
  const { r, vs } = compactSignature(e.signature);
  return { sender: e.sender, cumulativeAmount: BigInt(e.cumulativeAmount), r, vs };
}

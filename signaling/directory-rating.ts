/**
 * The directory's order: each model's score from contracts/rating.ts, recomputed from the chain alone (the
 * LiveChannels and LIVE logs, through contracts/rating-ledger.ts), never from anything only the platform knows.
 * The ledger keeps what it read and fetches only new blocks every `refreshMs`; a model is scored by the wallet it
 * bound (store.getWallet), so a model without a wallet is new, at the prior, like one never paid.
 *
 * Each entry carries its wallet, score and the block it was computed at, so anyone can run
 * `npm run rating -- --block N` (or the rating page) and check the same numbers and order.
 */
import type { Provider } from 'ethers';
import type { Logger } from 'pino';
import { RatingLedger } from '../contracts/rating-ledger.ts';
import { type Rating, compareRatings, ratingOf } from '../contracts/rating.ts';
import type { DirectoryEntry } from './protocol.ts';
import type { Store } from './store.ts';

export interface DirectoryRatingOptions {
  /** Where the logs are read: the platform's chain provider. */
  provider: Provider;
  /** The LiveChannels contract. */
  channels: string;
  store: Store;
  logger: Logger;
  /** Milliseconds between syncs with the chain. */
  refreshMs: number;
}

export class DirectoryRating {
  readonly #ledger: RatingLedger;
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #refreshMs: number;
  #rating: Rating | null = null;
  /**
   * Each model's bound wallet, read again after `refreshMs`: a directory subscription rates every online model,
   * and one sealed-record read per model per subscriber would put the store on every page view.
   */
  readonly #wallets = new Map<string, { wallet: string; until: number }>();
  #timer: NodeJS.Timeout | null = null;
  #syncing: Promise<void> | null = null;
  #closed = false;

  constructor(options: DirectoryRatingOptions) {
    this.#ledger = new RatingLedger(options.provider, { channels: options.channels });
    this.#store = options.store;
    this.#logger = options.logger;
    this.#refreshMs = options.refreshMs;
  }

  /** Reads the chain once and then every `refreshMs`; a failed read keeps the last ranking and is retried. */
  start(): Promise<void> {
    const first = this.refresh().catch(() => undefined);
    const tick = () => {
      if (this.#closed) return;
      void this.refresh().catch(() => undefined).finally(() => {
        if (!this.#closed) this.#timer = setTimeout(tick, this.#refreshMs).unref();
      });
    };
    this.#timer = setTimeout(tick, this.#refreshMs).unref();
    return first;
  }

  /** Syncs to the latest block now (one sync at a time; callers share the running one). */
  refresh(): Promise<void> {
    this.#syncing ??= (async () => {
      try {
        await this.#ledger.sync();
        this.#rating = this.#ledger.rate();
        const now = Date.now();
        for (const [key, w] of this.#wallets) if (w.until <= now) this.#wallets.delete(key);
      } catch (err) {
        this.#logger.warn({ err: (err as Error).message }, 'directory rating: chain read failed, keeping the last ranking');
        throw err;
      } finally {
        this.#syncing = null;
      }
    })();
    return this.#syncing;
  }

  /** Adds the model's rating to the entry (in place) and returns it. */
  async annotate(entry: DirectoryEntry): Promise<DirectoryEntry> {
    const rating = this.#rating;
    if (!rating) return entry;
    const wallet = await this.#walletOf(entry.key);
    const r = wallet ? ratingOf(rating, wallet) : null;
    entry.rating = {
      wallet: r?.receiver ?? null,
      score: r?.score ?? 0,
      rankScore: r?.rankScore ?? rating.prior,
      isNew: r?.isNew ?? true,
      block: this.#ledger.block,
    };
    return entry;
  }

  async #walletOf(key: string): Promise<string | null> {
    const now = Date.now();
    const known = this.#wallets.get(key);
    if (known && known.until > now) return known.wallet;
    const wallet = await this.#store.getWallet(key);
    // No wallet yet is read again next time: a model who binds one is rated from then on.
    if (wallet) this.#wallets.set(key, { wallet, until: now + this.#refreshMs });
    return wallet;
  }

  /** The model bound another wallet here (session.ts wallet:bind): rate it by the new one at once. */
  forget(key: string): void {
    this.#wallets.delete(key);
  }

  /** Rates every entry and orders them best first, the order `npm run rating` prints. */
  async order(entries: DirectoryEntry[]): Promise<DirectoryEntry[]> {
    await Promise.all(entries.map((e) => this.annotate(e)));
    if (!this.#rating) return entries;
    return entries.sort((a, b) => compareRatings(
      { rankScore: a.rating!.rankScore, receiver: a.rating!.wallet ?? `~${a.key}` },
      { rankScore: b.rating!.rankScore, receiver: b.rating!.wallet ?? `~${b.key}` },
    ));
  }

  /** Stops the refresh; idempotent. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

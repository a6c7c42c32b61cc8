/**
 * The countries each model hides from. The list says where a model fears being seen, so it is personal: it is a
 * record sealed under the model's data key (`lc:rec:<key>:regions`, records.ts), shredded with the account, never
 * plaintext in the store. Directory pushes read it often, so each process keeps what it opened for `cacheMs`: a
 * change made on another node reaches this one's directory within that time, while watch and private requests
 * read it fresh (`hiddenFrom(model, true)`).
 */
import type { RecordSealer, Store } from './store.ts';

const RECORD = 'regions';
/** Past this many cached models the cache starts again (it only saves work). */
const MAX_CACHED = 10_000;

export interface RegionRulesOptions {
  store: Store;
  /** Seals and opens the record under the model's data key (records.ts `Records`). */
  sealer: RecordSealer;
  /** How long an opened list is reused by directory pushes, ms. */
  cacheMs: number;
}

export class RegionRules {
  #o: RegionRulesOptions;
  #cache = new Map<string, { countries: readonly string[]; until: number }>();

  constructor(options: RegionRulesOptions) {
    this.#o = options;
  }

  /** The countries `model` hides from, sorted; `fresh` skips this process's cache. */
  async hiddenFrom(model: string, fresh = false): Promise<readonly string[]> {
    const cached = this.#cache.get(model);
    if (!fresh && cached && cached.until > Date.now()) return cached.countries;
    const sealed = await this.#o.store.getRecord(model, RECORD);
    const countries = sealed === null ? [] : (await this.#o.sealer.open<string[]>(model, RECORD, sealed)) ?? [];
    this.#remember(model, countries);
    return countries;
  }

  /** True when a connection from `country` must not see `model` (a connection of unknown country sees everyone). */
  async hides(model: string, country: string | null | undefined, fresh = false): Promise<boolean> {
    if (!country) return false;
    return (await this.hiddenFrom(model, fresh)).includes(country);
  }

  /** Replaces the model's list; answers it sorted, with the one it replaced. */
  async set(model: string, countries: readonly string[]): Promise<{ before: readonly string[]; after: readonly string[] }> {
    const before = await this.hiddenFrom(model, true);
    const after = [...new Set(countries)].sort();
    await this.#o.store.putRecord(model, RECORD, await this.#o.sealer.seal(model, RECORD, after));
    this.#remember(model, after);
    return { before, after };
  }

  /** Drops what this process remembers of a model (its account is gone). */
  forget(model: string): void {
    this.#cache.delete(model);
  }

  #remember(model: string, countries: readonly string[]): void {
    if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
    this.#cache.set(model, { countries, until: Date.now() + this.#o.cacheMs });
  }
}

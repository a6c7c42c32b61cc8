/**
 * Recomputes the directory's ranking in the browser (contracts/rating.ts over contracts/rating-ledger.ts), reading
 * the chain through our origin's read-only RPC, so a model can check their place without trusting the server's
 * numbers: the server answers the raw logs, the arithmetic happens here.
 */
import { JsonRpcProvider, Network } from 'ethers';
import { RatingLedger } from '../../contracts/rating-ledger.ts';
import type { Rating } from '../../contracts/rating.ts';
import { CHAIN_INFO_PATH, RPC_PATH, type ChainInfoBody } from '../../signaling/protocol.ts';
import { ClientError, toClientError } from '../errors.ts';

export interface RatingCheckResult { rating: Rating; block: number }

export class RatingCheck {
  readonly #origin: string;
  #provider: JsonRpcProvider | null = null;
  #closed = false;

  /** @param origin where CHAIN_INFO_PATH and RPC_PATH are served (default: this page's origin). */
  constructor(origin: string = location.origin) {
    this.#origin = origin;
  }

  /** Reads every block up to `block` (default: the latest) and scores the models. */
  async recompute(block?: number): Promise<RatingCheckResult> {
    if (this.#closed) throw new ClientError('CHAIN_UNAVAILABLE', 'the rating check is closed');
    try {
      const res = await fetch(new URL(CHAIN_INFO_PATH, this.#origin));
      if (!res.ok) throw new ClientError('CHAIN_UNAVAILABLE', `chain info answered ${res.status}`);
      const chain = await res.json() as ChainInfoBody;
      const network = Network.from(chain.chainId);
      this.#provider?.destroy();
      this.#provider = new JsonRpcProvider(new URL(RPC_PATH, this.#origin).href, network, { staticNetwork: network, batchMaxCount: 1, cacheTimeout: -1 });
      const ledger = new RatingLedger(this.#provider, { channels: chain.channels });
      await ledger.sync(block);
      return { rating: ledger.rate(), block: ledger.block };
    } catch (err) {
      throw toClientError(err);
    }
  }

  /** Idempotent. */
  close(): void {
    this.#closed = true;
    this.#provider?.destroy();
    this.#provider = null;
  }
}

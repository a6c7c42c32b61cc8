/**
 * `npm run rating -- --rpc URL --channels ADDRESS [--from-block N] [--block N] [--json]`
 *
 * Recomputes the directory's ranking from a chain alone (contracts/RATING.md) and prints it best first: rank,
 * wallet, rank score, score, payers counted, payers left out as self-funded, and whether the model is new. The
 * platform's directory shows the same score and order at the same block. Exit codes: 0 done, 1 the chain could
 * not be read, 2 bad arguments.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { JsonRpcProvider, isAddress } from 'ethers';
import { RatingLedger } from './rating-ledger.ts';
import { RATING_PARAMS, type Rating } from './rating.ts';

const USAGE = 'usage: npm run rating -- --rpc URL --channels ADDRESS [--from-block N] [--block N] [--json]';

interface Args { rpc: string; channels: string; fromBlock: number; block: number | undefined; json: boolean }

function blockArg(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new TypeError(`--${name} must be a block number, got ${JSON.stringify(value)}`);
  return Number(value);
}

export function parseRatingArgs(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: { rpc: { type: 'string' }, channels: { type: 'string' }, 'from-block': { type: 'string' }, block: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  if (!values.rpc || !/^https?:\/\//.test(values.rpc)) throw new TypeError('--rpc must be an http(s) URL');
  if (!values.channels || !isAddress(values.channels)) throw new TypeError('--channels must be the LiveChannels address');
  return { rpc: values.rpc, channels: values.channels, fromBlock: blockArg('from-block', values['from-block']) ?? 0, block: blockArg('block', values.block), json: values.json ?? false };
}

/** The printed table (or JSON): what a model compares with the directory. */
export function formatRating(rating: Rating, block: number, json: boolean): string {
  if (json) {
    return JSON.stringify({ block, now: rating.now, prior: rating.prior, params: RATING_PARAMS, models: rating.models }, null, 2);
  }
  const lines = [
    `block ${block} (time ${rating.now}), prior for new models ${rating.prior.toFixed(6)}`,
    `half-life ${RATING_PARAMS.halfLifeDays} d, self-funding hops ${RATING_PARAMS.selfFundingHops}, new for ${RATING_PARAMS.newModelDays} d`,
    'rank wallet                                     rank_score      score  payers  self_funded  new',
  ];
  rating.models.forEach((m, i) => lines.push([
    String(i + 1).padStart(4), m.receiver, m.rankScore.toFixed(6).padStart(10), m.score.toFixed(6).padStart(10),
    String(m.payers).padStart(7), String(m.selfFundedPayers).padStart(12), m.isNew ? '  yes' : '   no',
  ].join(' ')));
  return lines.join('\n');
}

export async function runRating(argv: string[], out: (s: string) => void): Promise<number> {
  let args: Args;
  try {
    args = parseRatingArgs(argv);
  } catch (err) {
    out(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const provider = new JsonRpcProvider(args.rpc, undefined, { staticNetwork: true });
  try {
    const ledger = new RatingLedger(provider, { channels: args.channels, fromBlock: args.fromBlock });
    await ledger.sync(args.block);
    out(formatRating(ledger.rate(), ledger.block, args.json));
    return 0;
  } catch (err) {
    out(`cannot read the chain: ${(err as Error).message}`);
    return 1;
  } finally {
    provider.destroy();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await runRating(process.argv.slice(2), (s) => console.log(s));
}

/**
 * `npm run bench:rating`: how long a reader takes to recompute the directory's ranking (contracts/RATING.md) from
 * a chain alone, and whether the directory's own code path orders the models the same way.
 *
 * Setup on the in-process dev chain: 500 models and 400 payers; each payer opens a channel (with permit) to 5
 * models and pays in 5 rounds a day apart, each round settled by every model in one settleBatch: 2,000 channels,
 * 10,000 settlements. Amounts come from a seeded generator (BENCH_SEED, default 1).
 *
 * Printed (`name: value unit`):
 * - rating_recompute_ms: a fresh RatingLedger reading every log and block time over the chain's HTTP JSON-RPC
 *   (as `npm run rating` does: block times in JSON-RPC batches), plus the scoring; median of 3.
 * - rating_score_only_ms: the scoring alone over the logs already read; median of 5.
 * - rating_matches_directory: 1 when signaling's DirectoryRating, ordering the store's online entries by the
 *   models' bound wallets, gives the same order and scores as the recomputation, else 0.
 */
import { randomBytes } from 'node:crypto';
import { JsonRpcProvider, Wallet, parseUnits } from 'ethers';
import pino from 'pino';
import { connectChannels, type BatchEntry } from '../../contracts/client.ts';
import { startDevChain } from '../../contracts/devchain.ts';
import { RatingLedger } from '../../contracts/rating-ledger.ts';
import { DirectoryRating } from '../../signaling/directory-rating.ts';
import { Records } from '../../signaling/records.ts';
import { Store } from '../../signaling/store.ts';

const MODELS = 500;
const PAYERS = 400;
const CHANNELS_PER_PAYER = 5;
const ROUNDS = 5;
const seedText = process.env.BENCH_SEED ?? '1';
if (!/^\d{1,9}$/.test(seedText)) throw new TypeError('BENCH_SEED must be a whole number');
let seed = Number(seedText) || 1;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const line = (name: string, value: number, unit: string) => console.log(`${name}: ${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`);

const chain = await startDevChain({ port: 0, demoAccounts: MODELS + PAYERS, demoLiveBalance: parseUnits('1000', 18) });
try {
  const wallets = chain.demoAccounts.map((a) => new Wallet(a.privateKey, chain.provider));
  const models = wallets.slice(0, MODELS);
  const payers = wallets.slice(MODELS);
  const t0 = performance.now();

  // Channels: payer p -> models (p * 5 + j) mod 500, each model gets 4.
  const paid = new Map<string, bigint>();
  const owed = new Map<number, { sender: Wallet; channelId: string; model: number }[]>();
  for (const [p, payer] of payers.entries()) {
    const client = connectChannels(payer, chain.addresses);
    for (let j = 0; j < CHANNELS_PER_PAYER; j++) {
      const m = (p * CHANNELS_PER_PAYER + j) % MODELS;
      await client.openWithPermit(models[m]!.address, parseUnits('100', 18));
      const { channelId } = await client.getChannel(payer.address, models[m]!.address);
      const list = owed.get(m) ?? [];
      list.push({ sender: payer, channelId, model: m });
      owed.set(m, list);
    }
  }
  let settlements = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [m, channels] of owed) {
      const entries: BatchEntry[] = [];
      for (const c of channels) {
        const total = (paid.get(c.channelId) ?? 0n) + parseUnits(String(1 + Math.floor(random() * 5)), 18);
        paid.set(c.channelId, total);
        entries.push({ sender: c.sender.address, voucher: await connectChannels(c.sender, chain.addresses).signVoucher(c.channelId, total) });
      }
      await connectChannels(models[m]!, chain.addresses).settleBatch(entries);
      settlements += entries.length;
    }
    await chain.increaseTime(86_400);
  }
  console.error(`bench:rating: ${settlements} settlements over ${MODELS} models set up in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

  // A reader with nothing but the RPC URL and the contract address.
  const recompute: number[] = [];
  let ledger: RatingLedger | null = null;
  for (let i = 0; i < 3; i++) {
    const rpc = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true });
    const start = performance.now();
    const fresh = new RatingLedger(rpc, { channels: chain.addresses.channels });
    await fresh.sync();
    fresh.rate();
    recompute.push(performance.now() - start);
    rpc.destroy();
    ledger = fresh;
  }
  const scoring: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    ledger!.rate();
    scoring.push(performance.now() - start);
  }
  const rating = ledger!.rate();

  // The directory's path: the store's online entries, each model's bound wallet, DirectoryRating's order.
  const store = new Store();
  store.sealWith(new Records(store, [{ id: 'bench', key: randomBytes(32) }]));
  const keyOf = new Map<string, string>();
  for (const [i, w] of models.entries()) {
    const key = randomBytes(32).toString('base64url');
    keyOf.set(key, w.address.toLowerCase());
    await store.setWallet(key, w.address);
    await store.setPresence(key, { status: 'online', showId: null, pseudonym: `m${i}` }, 600_000);
  }
  const directory = new DirectoryRating({ provider: chain.provider, channels: chain.addresses.channels, store, logger: pino({ level: 'silent' }), refreshMs: 3_600_000 });
  await directory.refresh();
  const ordered = await directory.order(await store.listOnline());
  directory.close();
  const matches = ordered.length === rating.models.length
    && ordered.every((e, i) => e.rating!.wallet === rating.models[i]!.receiver && keyOf.get(e.key) === e.rating!.wallet
      && e.rating!.rankScore === rating.models[i]!.rankScore && e.rating!.block === ledger!.block);

  line('rating_settlements', ledger!.settlementCount, 'count');
  line('rating_models', rating.models.length, 'count');
  line('rating_recompute_ms', median(recompute), 'ms');
  line('rating_score_only_ms', median(scoring), 'ms');
  line('rating_matches_directory', matches ? 1 : 0, 'bool');
} finally {
  await chain.close();
}

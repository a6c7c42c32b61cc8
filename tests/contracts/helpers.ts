/** Shared set-up for the contract tests: one in-process dev chain per test file, wallets, revert assertions. */
import * as assert from 'uvu/assert';
import { ContractFactory, Wallet, parseUnits } from 'ethers';
import { loadArtifacts } from '../../contracts/artifacts.ts';
import { type LiveChannelsClient, connectChannels } from '../../contracts/client.ts';
import { type DevChain, type DevChainOptions, startDevChain } from '../../contracts/devchain.ts';
import { PaymentError, type PaymentErrorCode } from '../../contracts/errors.ts';
import { type VoucherDomain, voucherDomain } from '../../contracts/voucher.ts';

export const LIVE = (n: number | string): bigint => parseUnits(String(n), 18);

export interface TestChain {
  chain: DevChain;
  wallets: Wallet[];
  domain: VoucherDomain;
  /** Client bound to demo account `i`. */
  as(i: number): LiveChannelsClient;
  wallet(i: number): Wallet;
  /** LIVE balance. */
  balance(address: string): Promise<bigint>;
  /** Latest block timestamp. */
  now(): Promise<number>;
  close(): Promise<void>;
}

export async function testChain(opts: DevChainOptions = {}): Promise<TestChain> {
  const chain = await startDevChain({ port: 0, demoAccounts: 6, platformFeeBps: 250, challengePeriodSeconds: 100, ...opts });
  const wallets = chain.demoAccounts.map((a) => new Wallet(a.privateKey, chain.provider));
  const wallet = (i: number): Wallet => {
    const w = wallets[i];
    if (!w) throw new Error(`no demo wallet ${i}`);
    return w;
  };
  const reader = connectChannels(chain.provider, chain.addresses);
  return {
    chain,
    wallets,
    domain: voucherDomain(chain.chainId, chain.addresses.channels),
    as: (i) => connectChannels(wallet(i), chain.addresses),
    wallet,
    balance: (address) => reader.balanceOf(address),
    now: async () => (await chain.provider.getBlock('latest'))!.timestamp,
    close: () => chain.close(),
  };
}

/** Asserts that `p` rejects with a PaymentError of `code` (and, for reverts, the custom error `revertName`). */
export async function rejects(p: Promise<unknown>, code: PaymentErrorCode, revertName?: string): Promise<PaymentError> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, PaymentError, `expected a PaymentError, got ${String(err)}`);
    const e = err as PaymentError;
    assert.is(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    if (revertName !== undefined) assert.is(e.revert?.name, revertName, `expected revert ${revertName}, got ${e.revert?.name}`);
    return e;
  }
  assert.unreachable(`expected ${code}, but it resolved`);
  throw new Error('unreachable');
}

/** Deploys another LiveChannels (same token) to check cross-contract replay. */
export async function deployOtherChannels(t: TestChain, feeBps = 0): Promise<string> {
  const artifacts = await loadArtifacts();
  const factory = new ContractFactory(artifacts.LiveChannels.abi as never[], artifacts.LiveChannels.bytecode, t.chain.deployer);
  const c = await factory.deploy(t.chain.addresses.token, feeBps, t.chain.deployer.address, 100);
  await c.waitForDeployment();
  return c.getAddress();
}

/** The LiveChannels events of a transaction, decoded. */
export function channelEvents(client: LiveChannelsClient, receipt: { logs: readonly { address: string; topics: readonly string[]; data: string }[] }): { name: string; args: unknown[] }[] {
  const out: { name: string; args: unknown[] }[] = [];
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== client.addresses.channels.toLowerCase()) continue;
    const parsed = client.channels.interface.parseLog({ topics: [...log.topics], data: log.data });
    if (parsed) out.push({ name: parsed.name, args: [...parsed.args] });
  }
  return out;
}

/**
 * Runs the local dev chain as its own process (the `chain` service of docker/compose.yml):
 * `node --import tsx contracts/devchain-main.ts`. Prints the contract addresses as env lines to copy
 * (LIVE_TOKEN_ADDRESS=..., LIVE_CHANNELS_ADDRESS=...) and the demo accounts, then serves JSON-RPC until
 * SIGINT/SIGTERM.
 *
 * Environment (all optional): HOST (default 127.0.0.1), CHAIN_PORT (8545; 0 = any free port), CHAIN_ID (31337),
 * PLATFORM_FEE_BPS (250, at most 1000), CHALLENGE_PERIOD_SECONDS (600), DEMO_ACCOUNTS (5).
 */
import { startDevChain } from './devchain.ts';

function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    console.error(`devchain: ${name} must be an integer in [${min}, ${max}], got "${raw}"`);
    process.exit(2);
  }
  return Number(raw);
}

const host = process.env.HOST || '127.0.0.1';
const chain = await startDevChain({
  host,
  port: intFromEnv('CHAIN_PORT', 8545, 0, 65535),
  chainId: intFromEnv('CHAIN_ID', 31337, 1, 2 ** 32),
  platformFeeBps: intFromEnv('PLATFORM_FEE_BPS', 250, 0, 1000),
  challengePeriodSeconds: intFromEnv('CHALLENGE_PERIOD_SECONDS', 600, 1, 365 * 86400),
  demoAccounts: intFromEnv('DEMO_ACCOUNTS', 5, 0, 1000),
});

const lines = [
  `RPC_URL=${chain.rpcUrl}`,
  `CHAIN_ID=${chain.chainId}`,
  `LIVE_TOKEN_ADDRESS=${chain.addresses.token}`,
  `LIVE_CHANNELS_ADDRESS=${chain.addresses.channels}`,
  `# platform fee ${chain.platformFeeBps} bps to ${chain.feeRecipient}, challenge period ${chain.challengePeriodSeconds} s`,
  '# demo accounts (well-known development keys, funded with ETH and LIVE; never use them on a real network):',
  ...chain.demoAccounts.map((a) => `#   ${a.address} ${a.privateKey}`),
];
console.log(lines.join('\n'));

const stop = (): void => {
  void chain.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

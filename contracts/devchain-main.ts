/**
 * The local chain on its own (docker `chain` service, or a second terminal):
 * `node --import tsx contracts/devchain-main.ts`. Reads HOST and CHAIN_PORT
 * (and PLATFORM_FEE_BPS, CHALLENGE_PERIOD_SECONDS) with the same validation as
 * the platform, prints the contract addresses and demo wallets, and stops on
 * SIGINT/SIGTERM.
 */
import { ConfigError, loadConfig } from '../signaling/config.ts';
import { startDevChain } from './devchain.ts';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`Invalid configuration: ${err.message}`);
    process.exit(2);
  }
  throw err;
}

const chain = await startDevChain({
  host: config.HOST,
  port: config.CHAIN_PORT,
  platformFeeBps: config.PLATFORM_FEE_BPS,
  challengePeriodSeconds: config.CHALLENGE_PERIOD_SECONDS,
});
console.log(`chain ${chain.chainId} at ${chain.rpcUrl}`);
console.log(`LIVE_TOKEN_ADDRESS=${chain.addresses.token}`);
console.log(`LIVE_CHANNELS_ADDRESS=${chain.addresses.channels}`);
for (const a of chain.demoAccounts) console.log(`demo wallet ${a.address} key ${a.privateKey}`);

const stop = () => { void chain.close().then(() => process.exit(0)); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ContractFactory, ZeroAddress, parseUnits } from 'ethers';
import { loadArtifacts } from '../../contracts/artifacts.ts';
import { toPaymentError } from '../../contracts/client.ts';
import { DEV_TOKEN_SUPPLY } from '../../contracts/devchain.ts';
import { VOUCHER_TYPEHASH, computeChannelId, domainSeparator, voucherDigest } from '../../contracts/voucher.ts';
import { LIVE, type TestChain, rejects, testChain } from './helpers.ts';

const deploy = suite('LiveToken and LiveChannels deployment');
let t: TestChain;

deploy.before(async () => {
  t = await testChain({ platformFeeBps: 300, challengePeriodSeconds: 77 });
});
deploy.after(async () => {
  await t.close();
});

deploy('LiveToken: 18 decimals, fixed supply minted at deployment, permit, no mint function', async () => {
  const token = t.as(0).token;
  assert.is(await token.getFunction('decimals').staticCall(), 18n);
  assert.is(await token.getFunction('symbol').staticCall(), 'LIVE');
  assert.is(await token.getFunction('totalSupply').staticCall(), DEV_TOKEN_SUPPLY);
  const names: string[] = [];
  token.interface.forEachFunction((f) => names.push(f.name));
  assert.ok(names.includes('permit') && names.includes('nonces') && names.includes('DOMAIN_SEPARATOR'));
  assert.not.ok(names.some((n) => /mint|burn|owner/i.test(n)), `unexpected supply/admin function in ${names.join(',')}`);
  // Demo accounts are funded.
  for (const a of t.chain.demoAccounts) assert.is(await t.balance(a.address), parseUnits('100000', 18));
});

deploy('LiveChannels exposes its immutable configuration and the EIP-712 helpers match the TypeScript ones', async () => {
  const ch = t.as(0).channels;
  assert.is(await t.as(0).feeBps(), 300n);
  assert.is(await t.as(0).feeRecipient(), t.chain.feeRecipient);
  assert.is(await t.as(0).challengePeriod(), 77n);
  assert.is(await ch.getFunction('MAX_FEE_BPS').staticCall(), 1000n);
  assert.is(await ch.getFunction('MAX_CHALLENGE_PERIOD').staticCall(), 365n * 86400n);
  assert.is(await ch.getFunction('VOUCHER_TYPEHASH').staticCall(), VOUCHER_TYPEHASH);
  const domain = await ch.getFunction('eip712Domain').staticCall();
  assert.equal([domain[1], domain[2], domain[3], domain[4]], ['LiveChannels', '1', BigInt(t.chain.chainId), t.chain.addresses.channels]);
  assert.is(await ch.getFunction('token').staticCall(), t.chain.addresses.token);
  assert.is(await ch.getFunction('domainSeparator').staticCall(), domainSeparator(t.domain));
  const id = computeChannelId(t.domain, t.wallet(0).address, t.wallet(1).address, 7n);
  assert.is(await ch.getFunction('channelIdAt').staticCall(t.wallet(0).address, t.wallet(1).address, 7n), id);
  assert.is(await ch.getFunction('voucherDigest').staticCall(id, LIVE(3)), voucherDigest(t.domain, { channelId: id, cumulativeAmount: LIVE(3) }));
});

async function deployChannels(args: unknown[]): Promise<unknown> {
  const artifacts = await loadArtifacts();
  const f = new ContractFactory(artifacts.LiveChannels.abi as never[], artifacts.LiveChannels.bytecode, t.chain.deployer);
  try {
    const c = await f.deploy(...args);
    await c.waitForDeployment();
    return c;
  } catch (err) {
    throw toPaymentError(err);
  }
}

deploy('the constructor caps the fee at 10% and checks its other parameters', async () => {
  const token = t.chain.addresses.token;
  const feeTo = t.chain.deployer.address;
  const e = await rejects(deployChannels([token, 1001, feeTo, 60]), 'PAYMENT_FEE_TOO_HIGH', 'FeeTooHigh');
  assert.equal(e.revert!.args, [1001n, 1000n]);
  assert.ok(await deployChannels([token, 1000, feeTo, 60]), 'exactly 10% is allowed');
  await rejects(deployChannels([token, 100, ZeroAddress, 60]), 'PAYMENT_INVALID_CONFIG', 'InvalidFeeRecipient');
  assert.ok(await deployChannels([token, 0, ZeroAddress, 60]), 'no fee needs no recipient');
  await rejects(deployChannels([token, 100, feeTo, 0]), 'PAYMENT_INVALID_CONFIG', 'InvalidChallengePeriod');
  await rejects(deployChannels([token, 100, feeTo, 365 * 86400 + 1]), 'PAYMENT_INVALID_CONFIG', 'InvalidChallengePeriod');
  await rejects(deployChannels([t.wallet(0).address, 100, feeTo, 60]), 'PAYMENT_INVALID_CONFIG', 'InvalidToken');
  // A token whose supply does not fit the 96-bit amounts is refused.
  const artifacts = await loadArtifacts();
  const tf = new ContractFactory(artifacts.LiveToken.abi as never[], artifacts.LiveToken.bytecode, t.chain.deployer);
  const big = await tf.deploy(feeTo, 1n << 96n);
  await big.waitForDeployment();
  await rejects(deployChannels([await big.getAddress(), 100, feeTo, 60]), 'PAYMENT_INVALID_CONFIG', 'InvalidToken');
});

deploy.run();

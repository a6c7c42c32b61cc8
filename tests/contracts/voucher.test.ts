import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Signature, Wallet, hexlify, randomBytes } from 'ethers';
import { PaymentError } from '../../contracts/errors.ts';
import {
  canonicalSignature,
  compactSignature,
  parseSignedVoucher,
  recoverVoucherSigner,
  signVoucher,
  verifyVoucher,
  voucherDigest,
  voucherDomain,
  voucherToJSON,
} from '../../contracts/voucher.ts';
import { FastVoucherVerifier, fastVerifySignature } from '../../contracts/voucher-verifier.ts';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const domain = voucherDomain(31337, '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512');
const wallet = new Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const channelId = `0x${'ab'.repeat(32)}`;

const v = suite('vouchers: EIP-712 signing, verification, wire validation');

v('sign, recover and verify round-trip; any change breaks verification', async () => {
  const sv = await signVoucher(wallet, domain, { channelId, cumulativeAmount: 123n });
  assert.match(sv.signature, /^0x[0-9a-f]{130}$/);
  assert.is(recoverVoucherSigner(domain, sv), wallet.address);
  assert.ok(verifyVoucher(domain, sv, wallet.address));
  assert.ok(verifyVoucher(domain, sv, wallet.address.toLowerCase()));
  assert.not.ok(verifyVoucher(domain, { ...sv, cumulativeAmount: 124n }, wallet.address));
  assert.not.ok(verifyVoucher(domain, { ...sv, channelId: `0x${'ac'.repeat(32)}` }, wallet.address));
  assert.not.ok(verifyVoucher(voucherDomain(1, domain.verifyingContract), sv, wallet.address));
  assert.not.ok(verifyVoucher(voucherDomain(31337, Wallet.createRandom().address), sv, wallet.address));
  assert.not.ok(verifyVoucher(domain, sv, Wallet.createRandom().address));
});

v('signing refuses malformed vouchers', async () => {
  for (const bad of [{ channelId: '0x12', cumulativeAmount: 1n }, { channelId, cumulativeAmount: 0n }, { channelId, cumulativeAmount: 1n << 96n }]) {
    try {
      await signVoucher(wallet, domain, bad);
      assert.unreachable('should throw');
    } catch (err) {
      assert.is((err as PaymentError).code, 'PAYMENT_VOUCHER_MALFORMED');
    }
  }
});

v('canonical signatures: v 0/1 and ERC-2098 compact forms normalise, high s is refused', async () => {
  const sv = await signVoucher(wallet, domain, { channelId, cumulativeAmount: 5n });
  const sig = Signature.from(sv.signature);
  const v01 = `${sv.signature.slice(0, 130)}${(sig.v - 27).toString(16).padStart(2, '0')}`;
  assert.is(canonicalSignature(v01), sv.signature);
  assert.is(canonicalSignature(sig.compactSerialized), sv.signature);
  const { r, vs } = compactSignature(sv.signature);
  assert.is(r, sig.r);
  assert.is(vs, sig.yParityAndS);
  const highS = `0x${sig.r.slice(2)}${(N - BigInt(sig.s)).toString(16).padStart(64, '0')}${(sig.v === 27 ? 28 : 27).toString(16)}`;
  assert.throws(() => canonicalSignature(highS), (e: unknown) => (e as PaymentError).code === 'PAYMENT_VOUCHER_BAD_SIGNATURE');
  assert.throws(() => canonicalSignature(`${sv.signature.slice(0, 130)}1d`), (e: unknown) => (e as PaymentError).code === 'PAYMENT_VOUCHER_BAD_SIGNATURE');
  assert.throws(() => canonicalSignature('0x1234'), (e: unknown) => (e as PaymentError).code === 'PAYMENT_VOUCHER_BAD_SIGNATURE');
  // The fast verifier refuses the high-s twin the contract would refuse, though it recovers the same key.
  const fast = new FastVoucherVerifier(domain);
  assert.not.ok(fast.verify({ ...sv, signature: highS }, wallet.address));
});

v('parseSignedVoucher validates input from the wire', async () => {
  const sv = await signVoucher(wallet, domain, { channelId, cumulativeAmount: 10n ** 20n });
  const json = JSON.parse(JSON.stringify(voucherToJSON(sv)));
  assert.equal(parseSignedVoucher(json), sv);
  assert.equal(parseSignedVoucher({ ...json, channelId: json.channelId.toUpperCase().replace('0X', '0x') }), sv);
  const cases: [unknown, string][] = [
    [null, 'PAYMENT_VOUCHER_MALFORMED'],
    ['str', 'PAYMENT_VOUCHER_MALFORMED'],
    [{ ...json, cumulativeAmount: 5 }, 'PAYMENT_VOUCHER_MALFORMED'],
    [{ ...json, cumulativeAmount: '-5' }, 'PAYMENT_VOUCHER_MALFORMED'],
    [{ ...json, cumulativeAmount: '1e18' }, 'PAYMENT_VOUCHER_MALFORMED'],
    [{ ...json, cumulativeAmount: '0' }, 'PAYMENT_VOUCHER_MALFORMED'],
    [{ ...json, cumulativeAmount: (1n << 96n).toString() }, 'PAYMENT_VOUCHER_MALFORMED'],
    [{ ...json, channelId: '0xabc' }, 'PAYMENT_VOUCHER_MALFORMED'],
    [{ ...json, channelId: 7 }, 'PAYMENT_VOUCHER_MALFORMED'],
    [{ ...json, signature: undefined }, 'PAYMENT_VOUCHER_BAD_SIGNATURE'],
    [{ ...json, signature: `0x${'zz'.repeat(65)}` }, 'PAYMENT_VOUCHER_BAD_SIGNATURE'],
  ];
  for (const [input, code] of cases) {
    assert.throws(() => parseSignedVoucher(input), (e: unknown) => e instanceof PaymentError && e.code === code, JSON.stringify(input));
  }
});

v('the native fast verifier agrees with ethers on valid and tampered vouchers', async () => {
  const fast = new FastVoucherVerifier(domain);
  for (let i = 0; i < 40; i++) {
    const signer = i % 2 === 0 ? wallet : Wallet.createRandom();
    const sv = await signVoucher(signer, domain, { channelId: hexlify(randomBytes(32)), cumulativeAmount: BigInt(1 + i) * 10n ** 15n });
    assert.is(fast.recover(sv), signer.address.toLowerCase());
    assert.ok(fast.verify(sv, signer.address));
    assert.ok(fastVerifySignature(domain, sv, signer.address));
    const tampered = [
      { ...sv, cumulativeAmount: sv.cumulativeAmount + 1n },
      { ...sv, channelId: hexlify(randomBytes(32)) },
      { ...sv, signature: `${sv.signature.slice(0, 10)}${sv.signature[10] === '0' ? '1' : '0'}${sv.signature.slice(11)}` },
    ];
    for (const bad of tampered) {
      assert.is(fast.verify(bad, signer.address), verifyVoucher(domain, bad, signer.address));
      assert.not.ok(fast.verify(bad, signer.address));
    }
    assert.not.ok(new FastVoucherVerifier(voucherDomain(1, domain.verifyingContract)).verify(sv, signer.address));
  }
  assert.not.ok(fast.verify({ channelId, cumulativeAmount: 1n, signature: '0x00' }, wallet.address));
  assert.not.ok(fast.verify({ channelId, cumulativeAmount: 1n, signature: `0x${'00'.repeat(65)}` }, wallet.address));
});

v('the fast verifier builds the same EIP-712 digest as ethers for any channel and amount', () => {
  const fast = new FastVoucherVerifier(domain);
  const amounts = [0n, 1n, (1n << 255n) + 7n, (1n << 256n) - 1n];
  for (let i = 0; i < 64; i++) amounts.push(BigInt(hexlify(randomBytes(1 + (i % 32)))));
  for (const cumulativeAmount of amounts) {
    const id = hexlify(randomBytes(32));
    assert.is(hexlify(fast.digest(id, cumulativeAmount)), voucherDigest(domain, { channelId: id, cumulativeAmount }));
  }
});

v.run();

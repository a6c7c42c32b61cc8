import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet } from 'ethers';
import { createIdentity } from '../../crypto/identity.ts';
import { bindWallet, verifyWalletBinding, walletBindingMessage } from '../../contracts/wallet-binding.ts';
import { fromBase64url, toBase64url } from '../../crypto/encoding.ts';
import { flipBit, rejectsWith } from '../crypto/helpers.ts';

const w = suite('wallet binding');

async function setup() {
  const id = await createIdentity();
  const wallet = Wallet.createRandom();
  const walletSignature = await wallet.signMessage(walletBindingMessage(id.publicKey));
  return { id, wallet, walletSignature };
}

w('binds with both signatures and verifies; accepts a lowercase address', async () => {
  const { id, wallet, walletSignature } = await setup();
  const binding = await bindWallet(id, wallet.address.toLowerCase(), walletSignature);
  assert.is(binding.address, wallet.address);
  assert.equal(await verifyWalletBinding(binding), { identityKey: id.publicKey, address: wallet.address });
  assert.equal(await verifyWalletBinding(JSON.parse(JSON.stringify(binding))), { identityKey: id.publicKey, address: wallet.address });
});

w('the message names the identity key', async () => {
  const { id } = await setup();
  assert.ok(walletBindingMessage(id.publicKey).includes(id.publicKey));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => walletBindingMessage('not-a-key'));
});

w('a wallet signature over another identity key, or by another wallet, is refused', async () => {
  const { id, wallet } = await setup();
  const other = await createIdentity();
  const sigForOther = await wallet.signMessage(walletBindingMessage(other.publicKey));
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => bindWallet(id, wallet.address, sigForOther));
  const thief = Wallet.createRandom();
  const thiefSig = await thief.signMessage(walletBindingMessage(id.publicKey));
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => bindWallet(id, wallet.address, thiefSig));
});

w('swapping identity, address or either signature in a binding is refused', async () => {
  const { id, wallet, walletSignature } = await setup();
  const b = await bindWallet(id, wallet.address, walletSignature);
  const other = await setup();
  const ob = await bindWallet(other.id, other.wallet.address, other.walletSignature);
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => verifyWalletBinding({ ...b, address: ob.address }));
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => verifyWalletBinding({ ...b, identityKey: ob.identityKey }));
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => verifyWalletBinding({ ...b, walletSignature: ob.walletSignature }));
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => verifyWalletBinding({ ...b, identitySignature: ob.identitySignature }));
  const flipped = toBase64url(flipBit(fromBase64url(b.identitySignature), 10));
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => verifyWalletBinding({ ...b, identitySignature: flipped }));
  // A signature with a corrupted recovery byte or r value does not recover to the address.
  // (ethers reads v = 0/1 as 27/28, so flip the parity rather than zero it.)
  const badV = `${b.walletSignature.slice(0, -2)}${b.walletSignature.endsWith('1b') ? '1c' : '1b'}`;
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => verifyWalletBinding({ ...b, walletSignature: badV }));
  const badR = `0x${b.walletSignature[2] === 'a' ? 'b' : 'a'}${b.walletSignature.slice(3)}`;
  await rejectsWith('CRYPTO_BAD_SIGNATURE', () => verifyWalletBinding({ ...b, walletSignature: badR }));
});

w('malformed addresses, signatures and bindings are CRYPTO_BAD_ENCODING', async () => {
  const { id, wallet, walletSignature } = await setup();
  const b = await bindWallet(id, wallet.address, walletSignature);
  await rejectsWith('CRYPTO_BAD_ENCODING', () => bindWallet(id, '0x1234', walletSignature));
  const badChecksum = wallet.address.replace(/[a-f]/, (c) => c.toUpperCase());
  if (badChecksum !== wallet.address) await rejectsWith('CRYPTO_BAD_ENCODING', () => bindWallet(id, badChecksum, walletSignature));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => bindWallet(id, wallet.address, walletSignature.slice(0, -2)));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => bindWallet(id, wallet.address, 'zz'));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => verifyWalletBinding({ ...b, address: b.address.toLowerCase() }));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => verifyWalletBinding({ ...b, v: 2 }));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => verifyWalletBinding({ ...b, identitySignature: 'short' }));
  await rejectsWith('CRYPTO_BAD_ENCODING', () => verifyWalletBinding('binding'));
});

w.run();

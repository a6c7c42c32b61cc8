/**
 * Binding of an identity to a wallet address, by two signatures:
 * - the wallet signs (EIP-191 `personal_sign`) a text naming the identity key,
 *   so only the wallet's owner can claim it;
 * - the identity signs the address (domain-separated Ed25519), so only the
 *   identity's owner can claim the wallet.
 * Either alone could be replayed by someone else; together they prove one
 * person controls both. A binding is a standing statement, safe to show again.
 */
import { getAddress, verifyMessage } from 'ethers';
import { CryptoError } from '../crypto/crypto-error.ts';
import type { Identity } from '../crypto/identity.ts';
import { asObject, asString, decodePublicKey, signStatement, verifyStatement } from '../crypto/statement.ts';

/** A two-way identity-wallet binding. */
export interface WalletBinding {
  /** Format version. */
  v: 1;
  /** Identity public key (base64url). */
  identityKey: string;
  /** EIP-55 checksummed wallet address. */
  address: string;
  /** Wallet's EIP-191 signature (0x hex, 65 bytes) of `walletBindingMessage(identityKey)`. */
  walletSignature: string;
  /** Identity's Ed25519 signature (base64url) of the address. */
  identitySignature: string;
}

/** The exact text the wallet signs with `personal_sign` (shown to the user by the wallet). */
export function walletBindingMessage(identityKey: string): string {
  decodePublicKey(identityKey, 'identity key');
  return `LiveCam wallet binding v1\nI control this wallet and the LiveCam identity key:\n${identityKey}`;
}

/** Check the wallet's signature, then sign the address with the identity: the full binding. */
export async function bindWallet(identity: Identity, address: string, walletSignature: string): Promise<WalletBinding> {
  const checksummed = checkAddress(address);
  checkWalletSignature(identity?.publicKey, checksummed, walletSignature);
  const identitySignature = await signStatement('walletBinding', { identityKey: identity.publicKey, address: checksummed },
    identity.secretKey);
  return { v: 1, identityKey: identity.publicKey, address: checksummed, walletSignature, identitySignature };
}

/** Verify both signatures of a binding received from anywhere. */
export async function verifyWalletBinding(binding: unknown): Promise<{ identityKey: string; address: string }> {
  const b = asObject(binding, 'wallet binding');
  if (b.v !== 1) throw new CryptoError('CRYPTO_BAD_ENCODING', 'wallet binding: unknown version');
  const identityKey = asString(b.identityKey, 'identityKey', 43);
  const address = checkAddress(b.address);
  if (address !== b.address) throw new CryptoError('CRYPTO_BAD_ENCODING', 'wallet binding: address not checksummed');
  const walletSignature = asString(b.walletSignature, 'walletSignature', 132);
  checkWalletSignature(identityKey, address, walletSignature);
  await verifyStatement('walletBinding', { identityKey, address }, b.identitySignature, identityKey);
  return { identityKey, address };
}

function checkAddress(address: unknown): string {
  if (typeof address !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(address)) {
    throw new CryptoError('CRYPTO_BAD_ENCODING', 'address: expected 0x and 40 hex digits');
  }
  try {
    return getAddress(address);
  } catch (err) {
    throw new CryptoError('CRYPTO_BAD_ENCODING', 'address: bad EIP-55 checksum', { cause: err });
  }
}

function checkWalletSignature(identityKey: unknown, address: string, signature: unknown): void {
  const message = walletBindingMessage(identityKey as string);
  if (typeof signature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(signature)) {
    throw new CryptoError('CRYPTO_BAD_ENCODING', 'wallet signature: expected 0x and 65 bytes of hex');
  }
  let signer: string;
  try {
    signer = verifyMessage(message, signature);
  } catch (err) {
    throw new CryptoError('CRYPTO_BAD_SIGNATURE', 'wallet signature does not verify', { cause: err });
  }
  if (signer !== address) throw new CryptoError('CRYPTO_BAD_SIGNATURE', 'wallet signature is from another address');
}

/**
 * EIP-712 payment vouchers `{channelId, cumulativeAmount}` for LiveChannels: domain, signing with any ethers
 * Signer (browser wallet included), recovery and verification, channel ids, and validation of vouchers that
 * arrive from the network. Browser-safe: ethers only, no node: imports.
 *
 * Signatures are kept in one canonical form, 65 bytes with v = 27/28 and a low s, which is exactly what the
 * contract accepts (OpenZeppelin's ECDSA rejects high-s); `parseSignedVoucher` normalises anything else.
 */
import { AbiCoder, Signature, type Signer, type TypedDataDomain, TypedDataEncoder, getAddress, id, keccak256, recoverAddress } from 'ethers';
import { PaymentError } from './errors.ts';

export const VOUCHER_DOMAIN_NAME = 'LiveChannels';
export const VOUCHER_DOMAIN_VERSION = '1';
export const VOUCHER_TYPES = {
  Voucher: [
    { name: 'channelId', type: 'bytes32' },
    { name: 'cumulativeAmount', type: 'uint256' },
  ],
} as const;
/** keccak256("Voucher(bytes32 channelId,uint256 cumulativeAmount)"), as in the contract. */
export const VOUCHER_TYPEHASH = id('Voucher(bytes32 channelId,uint256 cumulativeAmount)');

const MAX_UINT96 = (1n << 96n) - 1n;
/** secp256k1 n / 2, as 64 lower-case hex digits: a larger s is malleable and refused by the contract. */
export const HALF_N_HEX = '7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0';
const ZERO_WORD = '0'.repeat(64);

/** What identifies where a voucher can be redeemed: the chain and the LiveChannels contract. */
export interface VoucherDomain {
  chainId: bigint;
  verifyingContract: string;
}

export interface Voucher {
  /** 0x-prefixed 32-byte channel id. */
  channelId: string;
  /** Total the sender agrees to have paid on this channel, in token units. */
  cumulativeAmount: bigint;
}

export interface SignedVoucher extends Voucher {
  /** 0x-prefixed 65-byte signature, canonical (v 27/28, low s). */
  signature: string;
}

/** A signed voucher as sent over the wire (JSON-safe). */
export interface SignedVoucherJSON {
  channelId: string;
  cumulativeAmount: string;
  signature: string;
}

export function voucherDomain(chainId: bigint | number, verifyingContract: string): VoucherDomain {
  return { chainId: BigInt(chainId), verifyingContract: getAddress(verifyingContract) };
}

export function typedDataDomain(domain: VoucherDomain): TypedDataDomain {
  return {
    name: VOUCHER_DOMAIN_NAME,
    version: VOUCHER_DOMAIN_VERSION,
    chainId: domain.chainId,
    verifyingContract: domain.verifyingContract,
  };
}

const voucherTypes = VOUCHER_TYPES as unknown as Record<string, { name: string; type: string }[]>;

/** keccak256(abi.encode(chainId, channels, sender, receiver, epoch)), as the contract derives it. */
export function computeChannelId(domain: VoucherDomain, sender: string, receiver: string, epoch: bigint | number): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(
    ['uint256', 'address', 'address', 'address', 'uint256'],
    [domain.chainId, domain.verifyingContract, sender, receiver, epoch],
  ));
}

/** The EIP-712 domain separator (what the contract's `domainSeparator()` returns). */
export function domainSeparator(domain: VoucherDomain): string {
  return TypedDataEncoder.hashDomain(typedDataDomain(domain));
}

/** The EIP-712 digest the sender signs. */
export function voucherDigest(domain: VoucherDomain, voucher: Voucher): string {
  return TypedDataEncoder.hash(typedDataDomain(domain), voucherTypes, {
    channelId: voucher.channelId,
    cumulativeAmount: voucher.cumulativeAmount,
  });
}

/** Signs a voucher with any ethers Signer (Wallet, browser wallet via BrowserProvider, ...). */
export async function signVoucher(signer: Signer, domain: VoucherDomain, voucher: Voucher): Promise<SignedVoucher> {
  assertVoucherShape(voucher);
  const raw = await signer.signTypedData(typedDataDomain(domain), voucherTypes, {
    channelId: voucher.channelId,
    cumulativeAmount: voucher.cumulativeAmount,
  });
  return { channelId: voucher.channelId.toLowerCase(), cumulativeAmount: voucher.cumulativeAmount, signature: canonicalSignature(raw) };
}

/** Recovers the signer's checksummed address; throws PAYMENT_VOUCHER_BAD_SIGNATURE if it cannot. */
export function recoverVoucherSigner(domain: VoucherDomain, voucher: SignedVoucher): string {
  try {
    return recoverAddress(voucherDigest(domain, voucher), canonicalSignature(voucher.signature));
  } catch (cause) {
    throw new PaymentError('PAYMENT_VOUCHER_BAD_SIGNATURE', 'voucher signature cannot be recovered', { cause });
  }
}

/** True when `voucher` was signed by `expectedSigner` for this domain. Never throws. */
export function verifyVoucher(domain: VoucherDomain, voucher: SignedVoucher, expectedSigner: string): boolean {
  try {
    return recoverVoucherSigner(domain, voucher) === getAddress(expectedSigner);
  } catch {
    return false;
  }
}

/**
 * Normalises a 65-byte (or 64-byte ERC-2098) signature to 65 bytes, v = 27/28, and rejects high-s signatures,
 * which the contract would refuse. Throws PAYMENT_VOUCHER_BAD_SIGNATURE.
 */
export function canonicalSignature(signature: string): string {
  if (typeof signature !== 'string' || !/^0x([0-9a-fA-F]{128}|[0-9a-fA-F]{130})$/.test(signature)) {
    throw new PaymentError('PAYMENT_VOUCHER_BAD_SIGNATURE', 'signature must be 64 or 65 bytes of hex');
  }
  if (signature.length === 132) {
    const sig = signature.toLowerCase();
    const s = sig.slice(66, 130);
    const v = Number.parseInt(sig.slice(130, 132), 16);
    // Same-length lower-case hex strings compare like the numbers they encode.
    if (s > HALF_N_HEX) throw new PaymentError('PAYMENT_VOUCHER_BAD_SIGNATURE', 'signature has a high s value');
    if (![0, 1, 27, 28].includes(v)) throw new PaymentError('PAYMENT_VOUCHER_BAD_SIGNATURE', `signature has an invalid v (${v})`);
    // Already canonical (the usual case): skip ethers' full parse, it is on the server's hot path.
    if ((v === 27 || v === 28) && s !== ZERO_WORD && sig.slice(2, 66) !== ZERO_WORD) return sig;
  }
  try {
    return Signature.from(signature).serialized.toLowerCase();
  } catch (cause) {
    throw new PaymentError('PAYMENT_VOUCHER_BAD_SIGNATURE', 'malformed signature', { cause });
  }
}

/** The ERC-2098 compact form `settleBatch` takes. */
export function compactSignature(signature: string): { r: string; vs: string } {
  const sig = Signature.from(canonicalSignature(signature));
  return { r: sig.r, vs: sig.yParityAndS };
}

function assertVoucherShape(v: Voucher): void {
  if (typeof v.channelId !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v.channelId)) {
    throw new PaymentError('PAYMENT_VOUCHER_MALFORMED', 'channelId must be 32 bytes of hex');
  }
  if (typeof v.cumulativeAmount !== 'bigint' || v.cumulativeAmount <= 0n || v.cumulativeAmount > MAX_UINT96) {
    throw new PaymentError('PAYMENT_VOUCHER_MALFORMED', 'cumulativeAmount must be an integer in [1, 2^96)');
  }
}

/**
 * Validates a voucher received from outside (socket event, HTTP body) and returns it in canonical form.
 * Throws PAYMENT_VOUCHER_MALFORMED (shape) or PAYMENT_VOUCHER_BAD_SIGNATURE (signature encoding); it does not
 * check who signed it (see `recoverVoucherSigner` or the fast verifier).
 */
export function parseSignedVoucher(input: unknown): SignedVoucher {
  if (typeof input !== 'object' || input === null) throw new PaymentError('PAYMENT_VOUCHER_MALFORMED', 'voucher must be an object');
  const { channelId, cumulativeAmount, signature } = input as Record<string, unknown>;
  if (typeof cumulativeAmount !== 'string' || !/^[0-9]{1,30}$/.test(cumulativeAmount)) {
    throw new PaymentError('PAYMENT_VOUCHER_MALFORMED', 'cumulativeAmount must be a decimal string');
  }
  if (typeof channelId !== 'string') throw new PaymentError('PAYMENT_VOUCHER_MALFORMED', 'channelId must be a string');
  const voucher = { channelId: channelId.toLowerCase(), cumulativeAmount: BigInt(cumulativeAmount) };
  assertVoucherShape(voucher);
  if (typeof signature !== 'string') throw new PaymentError('PAYMENT_VOUCHER_BAD_SIGNATURE', 'signature must be a string');
  return { ...voucher, signature: canonicalSignature(signature) };
}

export function voucherToJSON(v: SignedVoucher): SignedVoucherJSON {
  return { channelId: v.channelId, cumulativeAmount: v.cumulativeAmount.toString(), signature: v.signature };
}

/**
 * The browser's errors: one class, `ClientError`, whose code is either a server
 * code from the wire protocol (`ERROR_CODES`) or one that only the browser can
 * raise. Pages branch on `code` and show `messageFor(err)` (messages.ts), never a
 * library's raw text.
 */
import { PlatformError } from '../crypto/errors.ts';
import { ERROR_CODES, type ErrorCode } from '../signaling/protocol.ts';

/** Codes only the browser raises; each has plain words in messages.ts. */
export const CLIENT_ERROR_CODES = [
  'TIMEOUT', // the server did not answer in time
  'NETWORK', // the server cannot be reached
  'STORAGE_UNAVAILABLE', // IndexedDB is blocked or full (private window, storage settings)
  'WALLET_UNAVAILABLE', // no browser wallet (window.ethereum) is installed
  'WALLET_REJECTED', // the person declined in their wallet
  'WALLET_WRONG_CHAIN', // the browser wallet is on another chain
  'WALLET_NOT_BOUND', // the wallet is not yet bound to the identity
  'INSUFFICIENT_FUNDS', // not enough LIVE for the amount
  'INSUFFICIENT_GAS', // not enough ETH to pay for the transaction
  'CHANNEL_NOT_OPEN', // no open channel to this model
  'CHANNEL_CLOSING', // the channel is closing: no top-up, no new show
  'CLOSE_NOT_REQUESTED', // withdraw before a close was requested
  'WITHDRAW_TOO_EARLY', // the challenge period has not ended yet
  'TX_FAILED', // the chain refused the transaction for another reason
  'BAD_AMOUNT', // the amount typed is not a positive number of LIVE
  'FAUCET_UNAVAILABLE', // this chain has no faucet (not the embedded demo chain)
  'CALL_ENDED', // this side hung up
  'CALL_ENDED_BY_PEER', // the other person hung up
  'CALL_DECLINED', // the model declined the request
  'CALL_TIMEOUT', // the model did not answer the request in time
  'CALL_VOUCHER_LATE', // a minute was not paid in time (grace period over)
  'CALL_DISCONNECTED', // the other side was gone too long
  'CALL_FAILED', // the connection could not be made or kept
  'FINGERPRINT_MISMATCH', // the peer's signed DTLS fingerprint does not match the SDP or the live connection
  'PEER_KEY_MISMATCH', // the server named another key for the peer than the one this browser pinned
  'KEY_CHANGED', // a known pseudonym arrived with another key than the one pinned for it
  'DEPOSIT_EXHAUSTED', // the channel's deposit cannot pay the next minute
  'CAMERA_UNAVAILABLE', // no camera or microphone, or it cannot be opened (in use by another program)
  'CAMERA_DENIED', // the person or the browser refused the camera or microphone permission
  'PROFILE_INVALID', // a profile field is empty where required, too long or not one of the choices
  'DOCUMENT_TOO_LARGE', // the age document is bigger than the server accepts (protocol LIMITS)
  'DOCUMENT_UNSUPPORTED', // the age document is empty, or not an image or a PDF
  'VERIFIER_UNTRUSTED', // the verifier key in the link is not one this server accepts documents for
  'VERIFIER_CHANGED', // the server offers another verifier key than the one this browser sealed to before
  'PLAYBACK_FAILED', // the show's video could not be played, or not again after it was lost
  'SHOW_FULL', // the media server takes no more viewers for now
  'WRONG_PASSPHRASE', // the passphrase does not open the backup or the locked identity
  'PASSPHRASE_TOO_SHORT', // a new passphrase under 8 characters, or the two entries differ
  'BACKUP_INVALID', // the chosen file is not a LiveCam identity backup (or was altered)
  'UNKNOWN', // anything else (details in the console)
] as const;
export type ClientOnlyCode = (typeof CLIENT_ERROR_CODES)[number];
export type ClientErrorCode = ErrorCode | ClientOnlyCode;

const KNOWN = new Set<string>([...ERROR_CODES, ...CLIENT_ERROR_CODES]);

export class ClientError extends PlatformError<ClientErrorCode> {}

/** True when `code` is one of ours (a server answer may carry anything). */
export function isClientErrorCode(code: unknown): code is ClientErrorCode {
  return typeof code === 'string' && KNOWN.has(code);
}

/** Library codes (contracts/errors.ts, crypto/crypto-error.ts) that reach the browser, in its words. */
const FROM_LIBRARY: Readonly<Record<string, ClientErrorCode>> = {
  PAYMENT_INSUFFICIENT_BALANCE: 'INSUFFICIENT_FUNDS',
  PAYMENT_INSUFFICIENT_ALLOWANCE: 'INSUFFICIENT_FUNDS',
  PAYMENT_CHANNEL_NOT_OPEN: 'CHANNEL_NOT_OPEN',
  PAYMENT_CHANNEL_CLOSING: 'CHANNEL_CLOSING',
  PAYMENT_CHALLENGE_PERIOD_ACTIVE: 'WITHDRAW_TOO_EARLY',
  PAYMENT_CLOSE_NOT_REQUESTED: 'CLOSE_NOT_REQUESTED',
  PAYMENT_ZERO_AMOUNT: 'BAD_AMOUNT',
  PAYMENT_AMOUNT_TOO_LARGE: 'BAD_AMOUNT',
  PAYMENT_RPC_ERROR: 'CHAIN_UNAVAILABLE',
  PAYMENT_VOUCHER_BAD_SIGNATURE: 'VOUCHER_INVALID',
  PAYMENT_VOUCHER_NOT_NEWER: 'VOUCHER_INVALID',
  PAYMENT_VOUCHER_OVER_DEPOSIT: 'VOUCHER_INVALID',
  PAYMENT_VOUCHER_WRONG_CHANNEL: 'VOUCHER_INVALID',
  PAYMENT_VOUCHER_MALFORMED: 'VOUCHER_INVALID',
  CRYPTO_BAD_PASSPHRASE: 'WRONG_PASSPHRASE',
};

/** Wallet-side failures as EIP-1193 / ethers name them. */
function walletCode(err: { code?: unknown; shortMessage?: unknown; message?: unknown }): ClientErrorCode | undefined {
  if (err.code === 4001 || err.code === 'ACTION_REJECTED') return 'WALLET_REJECTED';
  if (err.code === 'INSUFFICIENT_FUNDS') return 'INSUFFICIENT_GAS';
  const text = `${String(err.shortMessage ?? '')} ${String(err.message ?? '')}`;
  // Nodes word it differently: geth "insufficient funds for gas", EDR/Hardhat "doesn't have enough funds to send tx".
  if (/insufficient funds|enough funds to send/i.test(text)) return 'INSUFFICIENT_GAS';
  return undefined;
}

/** Any thrown value as a ClientError: ours are kept, library and wallet errors get their client code. */
export function toClientError(err: unknown, fallback: ClientErrorCode = 'UNKNOWN'): ClientError {
  if (err instanceof ClientError) return err;
  if (err instanceof PlatformError) {
    const code = isClientErrorCode(err.code) ? err.code : FROM_LIBRARY[err.code] ?? walletCode(err) ?? fallback;
    return new ClientError(code, err.message, { cause: err });
  }
  if (typeof err === 'object' && err !== null) {
    const code = walletCode(err);
    if (code) return new ClientError(code, String((err as { message?: unknown }).message ?? code), { cause: err });
  }
  if (err instanceof TypeError && /fetch|network/i.test(err.message)) return new ClientError('NETWORK', err.message, { cause: err });
  return new ClientError(fallback, err instanceof Error ? err.message : String(err), { cause: err });
}

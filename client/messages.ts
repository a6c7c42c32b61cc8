/**
 * The one map from every error code the browser can meet (the server's and its
 * own) to the plain words shown to people. A page never shows `err.message`
 * (written for developers): it shows `messageFor(err)`.
 */
import { toClientError, type ClientErrorCode } from './errors.ts';

export const MESSAGES: Readonly<Record<ClientErrorCode, string>> = {
  // The server's codes (signaling/protocol.ts ERROR_CODES)
  BAD_REQUEST: 'That request was not accepted. Please check what you entered and try again.',
  UNAUTHENTICATED: 'You are not signed in yet. Please wait a moment and try again.',
  FORBIDDEN: 'You are not allowed to do that.',
  NOT_FOUND: 'We could not find that. It may have ended or been removed.',
  CONFLICT: 'That cannot be done right now: something changed in the meantime.',
  RATE_LIMITED: 'Too many tries in a short time. Please wait a little and try again.',
  SLOW_MODE: 'Slow mode is on in this chat: please wait before your next message.',
  MUTED: 'You are muted in this chat for now.',
  BANNED: 'This model has blocked you.',
  REGION_BLOCKED: 'This model is not available in the country you are connecting from.',
  LOGIN_FAILED: 'Signing in did not work. Please reload the page.',
  SESSION_EXPIRED: 'Your session has expired. Please reload the page.',
  AGE_VERIFICATION_REQUIRED: 'You need to verify your age before you can go live.',
  CHAIN_UNAVAILABLE: 'Payments are unavailable right now. Please try again later.',
  CHANNEL_INSUFFICIENT: 'Your deposit with this model is too small. Top it up first.',
  VOUCHER_INVALID: 'A payment was not accepted.',
  TURN_UNAVAILABLE: 'Private shows are unavailable right now: the relay server is not running.',
  SFU_UNAVAILABLE: 'The video server is not reachable right now. Try again in a moment.',
  RECEIVER_UNVERIFIED: 'Refused: the server could not prove that this wallet belongs to the model in your link. Nothing was deposited.',
  INTERNAL: 'Something went wrong on our side. Please try again.',
  // The browser's own codes (client/errors.ts CLIENT_ERROR_CODES)
  TIMEOUT: 'The server did not answer in time. Please try again.',
  NETWORK: 'We cannot reach the server. Check your connection.',
  STORAGE_UNAVAILABLE: 'This browser does not let the site store your keys (private window or storage settings).',
  WALLET_UNAVAILABLE: 'No browser wallet was found. Use the wallet made for you here instead.',
  WALLET_REJECTED: 'You declined in your wallet. Nothing was sent.',
  WALLET_WRONG_CHAIN: 'Your browser wallet is on another network. Switch it to this platform’s network.',
  WALLET_NOT_BOUND: 'Link your wallet to your identity first.',
  INSUFFICIENT_FUNDS: 'You do not have enough LIVE for that amount.',
  INSUFFICIENT_GAS: 'You do not have enough ETH to pay the network fee.',
  CHANNEL_NOT_OPEN: 'You have no open deposit with this model.',
  CHANNEL_CLOSING: 'This deposit is closing. Withdraw it, then open a new one.',
  CLOSE_NOT_REQUESTED: 'Ask to close the deposit first; you can withdraw after the waiting period.',
  WITHDRAW_TOO_EARLY: 'The waiting period is not over yet. You can withdraw when it ends.',
  TX_FAILED: 'The network refused the transaction. Nothing was taken.',
  BAD_AMOUNT: 'Enter an amount of LIVE greater than zero.',
  FAUCET_UNAVAILABLE: 'Free test funds exist only on the demo network.',
  CALL_ENDED: 'You ended the call.',
  CALL_ENDED_BY_PEER: 'The other person ended the call.',
  CALL_DECLINED: 'The model declined your request. Nothing was paid.',
  CALL_TIMEOUT: 'The model did not answer in time. Nothing was paid.',
  CALL_VOUCHER_LATE: 'The call ended because a minute was not paid in time.',
  CALL_DISCONNECTED: 'The call ended because the other person lost their connection.',
  CALL_FAILED: 'The connection could not be made or was lost.',
  FINGERPRINT_MISMATCH: 'The call was stopped: the connection could not be proven to reach the other person directly. Someone may be listening in.',
  PEER_KEY_MISMATCH: 'The call was stopped: the server named a different person than the one in your link.',
  KEY_CHANGED: 'Refused: this name now comes with a different key than before. It may not be the same person.',
  DEPOSIT_EXHAUSTED: 'The call ended because your deposit is used up. Top it up in your wallet.',
  CAMERA_UNAVAILABLE: 'Your camera or microphone is not available. Check that it is connected and that no other program is using it.',
  CAMERA_DENIED: 'This site may not use your camera or microphone. Allow them in your browser’s site settings (the icon next to the address), then try again.',
  PROFILE_INVALID: 'Some of your profile is not accepted: see the note next to each field.',
  DOCUMENT_TOO_LARGE: 'That file is too big. Choose a smaller photo or scan of your document.',
  DOCUMENT_UNSUPPORTED: 'Choose a photo (JPEG, PNG, WebP) or a PDF of your document.',
  VERIFIER_UNTRUSTED: 'This server does not accept documents for the verifier in your link. Nothing was sent.',
  VERIFIER_CHANGED: 'The server now names a different verifier than the one you used before. Nothing was sent: check the new fingerprint with your verifier first.',
  PLAYBACK_FAILED: 'The video could not be played. Reload the page to try again.',
  SHOW_FULL: 'This show is very busy right now. Please try again in a minute.',
  WRONG_PASSPHRASE: 'That passphrase is not the right one. Nothing was changed.',
  PASSPHRASE_TOO_SHORT: 'Choose a passphrase of at least 8 characters, and type the same one twice.',
  BACKUP_INVALID: 'This file is not a LiveCam identity backup, or it was changed.',
  UNKNOWN: 'Something went wrong. Please try again.',
};

/** The words to show for any thrown value. */
export function messageFor(err: unknown): string {
  return MESSAGES[toClientError(err).code];
}

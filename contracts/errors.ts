/**
 * Errors of the payment module, browser-safe. One class, one union of stable codes: callers (signaling, the web
 * client) branch on `code`; contract reverts are decoded into the same codes, with the custom error's name and
 * arguments kept in `revert` for logs and tests.
 */
import { PlatformError } from '../crypto/errors.ts';

export type PaymentErrorCode =
  // Off-chain voucher checks (metering, verifier)
  | 'PAYMENT_VOUCHER_LATE'
  | 'PAYMENT_VOUCHER_BAD_SIGNATURE'
  | 'PAYMENT_VOUCHER_NOT_NEWER'
  | 'PAYMENT_VOUCHER_UNDERPAID'
  | 'PAYMENT_VOUCHER_OVER_DEPOSIT'
  | 'PAYMENT_VOUCHER_WRONG_CHANNEL'
  | 'PAYMENT_VOUCHER_MALFORMED'
  | 'PAYMENT_DEPOSIT_EXHAUSTED'
  | 'PAYMENT_SESSION_ENDED'
  | 'PAYMENT_BAD_INPUT'
  // Contract reverts (LiveChannels)
  | 'PAYMENT_CHANNEL_NOT_OPEN'
  | 'PAYMENT_CHANNEL_ALREADY_OPEN'
  | 'PAYMENT_CHANNEL_CLOSING'
  | 'PAYMENT_CHALLENGE_PERIOD_OVER'
  | 'PAYMENT_CHALLENGE_PERIOD_ACTIVE'
  | 'PAYMENT_CLOSE_NOT_REQUESTED'
  | 'PAYMENT_INVALID_RECEIVER'
  | 'PAYMENT_ZERO_AMOUNT'
  | 'PAYMENT_EMPTY_BATCH'
  | 'PAYMENT_AMOUNT_TOO_LARGE'
  | 'PAYMENT_FEE_TOO_HIGH'
  | 'PAYMENT_INVALID_CONFIG'
  // Token reverts (LiveToken)
  | 'PAYMENT_INSUFFICIENT_BALANCE'
  | 'PAYMENT_INSUFFICIENT_ALLOWANCE'
  | 'PAYMENT_PERMIT_EXPIRED'
  | 'PAYMENT_PERMIT_INVALID'
  // Anything else the chain said
  | 'PAYMENT_TX_FAILED'
  | 'PAYMENT_RPC_ERROR';

/** A decoded custom error from a revert. */
export interface RevertInfo {
  name: string;
  args: readonly unknown[];
}

export class PaymentError extends PlatformError<PaymentErrorCode> {
  /** The contract's custom error, when the error comes from a revert. */
  readonly revert: RevertInfo | undefined;

  constructor(code: PaymentErrorCode, message: string, options?: { cause?: unknown; revert?: RevertInfo }) {
    super(code, message, options);
    this.revert = options?.revert;
  }
}

/** Contract custom error name -> stable code. */
export const REVERT_CODES: Readonly<Record<string, PaymentErrorCode>> = {
  ChannelNotOpen: 'PAYMENT_CHANNEL_NOT_OPEN',
  ChannelAlreadyOpen: 'PAYMENT_CHANNEL_ALREADY_OPEN',
  ChannelClosing: 'PAYMENT_CHANNEL_CLOSING',
  ChallengePeriodOver: 'PAYMENT_CHALLENGE_PERIOD_OVER',
  ChallengePeriodActive: 'PAYMENT_CHALLENGE_PERIOD_ACTIVE',
  CloseNotRequested: 'PAYMENT_CLOSE_NOT_REQUESTED',
  InvalidReceiver: 'PAYMENT_INVALID_RECEIVER',
  ZeroAmount: 'PAYMENT_ZERO_AMOUNT',
  EmptyBatch: 'PAYMENT_EMPTY_BATCH',
  VoucherNotNewer: 'PAYMENT_VOUCHER_NOT_NEWER',
  VoucherExceedsDeposit: 'PAYMENT_VOUCHER_OVER_DEPOSIT',
  InvalidSignature: 'PAYMENT_VOUCHER_BAD_SIGNATURE',
  SafeCastOverflowedUintDowncast: 'PAYMENT_AMOUNT_TOO_LARGE',
  FeeTooHigh: 'PAYMENT_FEE_TOO_HIGH',
  InvalidFeeRecipient: 'PAYMENT_INVALID_CONFIG',
  InvalidChallengePeriod: 'PAYMENT_INVALID_CONFIG',
  InvalidToken: 'PAYMENT_INVALID_CONFIG',
  ERC20InsufficientBalance: 'PAYMENT_INSUFFICIENT_BALANCE',
  ERC20InsufficientAllowance: 'PAYMENT_INSUFFICIENT_ALLOWANCE',
  ERC2612ExpiredSignature: 'PAYMENT_PERMIT_EXPIRED',
  ERC2612InvalidSigner: 'PAYMENT_PERMIT_INVALID',
};

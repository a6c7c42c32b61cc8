// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/**
 * @title LIVE per-minute payment channels
 * @notice One unidirectional channel per (sender = client, receiver = model) pair, funded once and reused across
 * sessions. The sender pays off-chain with EIP-712 vouchers `{channelId, cumulativeAmount}`; the receiver collects
 * the newest voucher whenever they like (`settle`, `settleBatch`) or closes the channel (`close`), refunding the
 * rest to the sender. Anyone may also submit a sender-signed voucher on the receiver's behalf (`settleFor`,
 * `settleForBatch`), the payout always going to the receiver: so a watcher can collect a voucher for a receiver who
 * is offline. The sender can leave without the receiver's help: `requestClose`, then after the challenge period
 * (during which the receiver, or anyone for them, can still settle) `withdraw`. A platform fee, fixed at deployment
 * and capped at 10%, is taken from each settled amount and nothing else.
 *
 * @dev A channel is one storage slot keyed by the pair, so a settlement costs one cold SLOAD and one SSTORE. The
 * channel id is `keccak256(chainid, this, sender, receiver, epoch)`; `epoch` grows on every reopen of the pair, so
 * vouchers signed for an earlier channel of the same pair never verify again. The token must be a plain ERC-20
 * (no fee on transfer) whose total supply fits in 96 bits, which the constructor checks for a fixed-supply token.
 */
contract LiveChannels is EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @dev One slot. `deposit > 0` exactly when the channel is open (opening requires a non-zero amount and the
    /// deposit never shrinks while open). `closesAt > 0` when the sender has requested a close.
    struct Channel {
        uint96 deposit;
        uint96 paid;
        uint24 epoch;
        uint40 closesAt;
    }

    /// @notice A voucher as the receiver submits it in a batch: the sender identifies the channel (the receiver
    /// is the caller), the signature is ERC-2098 compact (`r`, `yParityAndS`).
    struct SignedVoucher {
        address sender;
        uint256 cumulativeAmount;
        bytes32 r;
        bytes32 vs;
    }

    /// @notice A voucher as anyone submits it for its receiver in `settleForBatch`: the channel is named by both
    /// ends, the signature is ERC-2098 compact (`r`, `yParityAndS`).
    struct ReceiverVoucher {
        address sender;
        address receiver;
        uint256 cumulativeAmount;
        bytes32 r;
        bytes32 vs;
    }

    /// @notice Lifecycle of a (sender, receiver) pair's current channel.
    enum State {
        None,
        Open,
        Closing,
        Closed
    }

    /// @notice A channel as returned by the read functions.
    struct ChannelInfo {
        bytes32 channelId;
        uint256 deposit;
        uint256 paid;
        uint256 epoch;
        uint256 closesAt;
        State state;
    }

    /// @notice The highest platform fee the contract accepts, in basis points (10%).
    uint256 public constant MAX_FEE_BPS = 1_000;
    /// @notice The longest challenge period the contract accepts.
    uint256 public constant MAX_CHALLENGE_PERIOD = 365 days;
    /// @notice EIP-712 type hash of `Voucher(bytes32 channelId,uint256 cumulativeAmount)`.
    bytes32 public constant VOUCHER_TYPEHASH = keccak256("Voucher(bytes32 channelId,uint256 cumulativeAmount)");

    /// @notice The token every channel is funded in.
    IERC20 public immutable token;
    /// @notice Platform fee in basis points, taken from each settled amount.
    uint256 public immutable feeBps;
    /// @notice Receives the platform fee.
    address public immutable feeRecipient;
    /// @notice Seconds between a sender's close request and the moment they may withdraw.
    uint256 public immutable challengePeriod;

    mapping(address sender => mapping(address receiver => Channel)) private _channels;

    /// @notice A channel was opened (or a pair reopened with a new id).
    event ChannelOpened(bytes32 indexed channelId, address indexed sender, address indexed receiver, uint256 deposit);
    /// @notice The sender added `amount`; `deposit` is the new total.
    event ChannelToppedUp(bytes32 indexed channelId, uint256 amount, uint256 deposit);
    /// @notice A voucher was collected: `paid` is the new cumulative total, `payout` went to the receiver and `fee`
    /// to the platform (`payout + fee` is the amount newly taken from the deposit).
    event ChannelSettled(bytes32 indexed channelId, uint256 paid, uint256 payout, uint256 fee);
    /// @notice The sender asked to close; the receiver can settle until `closesAt`.
    event CloseRequested(bytes32 indexed channelId, uint256 closesAt);
    /// @notice The channel is closed: `paid` in total went to the receiver (fee included), `refund` to the sender.
    event ChannelClosed(bytes32 indexed channelId, uint256 paid, uint256 refund);

    /// @notice The platform fee exceeds the cap.
    error FeeTooHigh(uint256 feeBps, uint256 maxFeeBps);
    /// @notice A non-zero fee needs a fee recipient.
    error InvalidFeeRecipient(address feeRecipient);
    /// @notice The challenge period is zero or longer than the cap.
    error InvalidChallengePeriod(uint256 challengePeriod);
    /// @notice The token has no code, or a supply that does not fit the 96-bit amounts.
    error InvalidToken(address token);
    /// @notice The receiver is the zero address or the sender itself.
    error InvalidReceiver(address receiver);
    /// @notice A deposit or top-up of zero, from the caller to `receiver`.
    error ZeroAmount(address receiver);
    /// @notice The pair already has an open channel.
    error ChannelAlreadyOpen(bytes32 channelId);
    /// @notice The pair has no open channel.
    error ChannelNotOpen(address sender, address receiver);
    /// @notice The channel is closing (no top-up, no second close request).
    error ChannelClosing(bytes32 channelId, uint256 closesAt);
    /// @notice The challenge period is over: vouchers are no longer accepted.
    error ChallengePeriodOver(bytes32 channelId, uint256 closesAt);
    /// @notice The challenge period is still running: the sender cannot withdraw yet.
    error ChallengePeriodActive(bytes32 channelId, uint256 closesAt);
    /// @notice The sender has not requested a close.
    error CloseNotRequested(bytes32 channelId);
    /// @notice The voucher does not raise the amount already paid.
    error VoucherNotNewer(bytes32 channelId, uint256 cumulativeAmount, uint256 paid);
    /// @notice The voucher asks for more than the deposit.
    error VoucherExceedsDeposit(bytes32 channelId, uint256 cumulativeAmount, uint256 deposit);
    /// @notice The voucher is not signed by the channel's sender for this channel (`signer` is who signed it, or
    /// zero for a malformed signature).
    error InvalidSignature(bytes32 channelId, address signer);
    /// @notice A batch settle (`settleBatch`, `settleForBatch`) was called by `caller` with no voucher.
    error EmptyBatch(address caller);

    /**
     * @param token_ the ERC-20 channels are funded in (fixed supply that fits in 96 bits)
     * @param feeBps_ platform fee in basis points, at most `MAX_FEE_BPS`
     * @param feeRecipient_ receives the fee (may be zero only when the fee is zero)
     * @param challengePeriod_ seconds between a sender's close request and their withdrawal
     */
    constructor(IERC20 token_, uint256 feeBps_, address feeRecipient_, uint256 challengePeriod_)
        EIP712("LiveChannels", "1")
    {
        if (address(token_).code.length == 0 || token_.totalSupply() > type(uint96).max) {
            revert InvalidToken(address(token_));
        }
        if (feeBps_ > MAX_FEE_BPS) revert FeeTooHigh(feeBps_, MAX_FEE_BPS);
        if (feeBps_ > 0 && feeRecipient_ == address(0)) revert InvalidFeeRecipient(feeRecipient_);
        if (challengePeriod_ == 0 || challengePeriod_ > MAX_CHALLENGE_PERIOD) {
            revert InvalidChallengePeriod(challengePeriod_);
        }
        token = token_;
        feeBps = feeBps_;
        feeRecipient = feeRecipient_;
        challengePeriod = challengePeriod_;
    }

    // ----------------------------------------------------------------------------------------------------------
    // Sender side
    // ----------------------------------------------------------------------------------------------------------

    /**
     * @notice Opens a channel from the caller to `receiver` funded with `amount` (the caller must have approved it).
     * @param receiver the model who will be paid
     * @param amount the initial deposit, taken from the caller
     * @return channelId the new channel's id, which vouchers must name
     */
    function open(address receiver, uint256 amount) external nonReentrant returns (bytes32 channelId) {
        return _open(receiver, amount);
    }

    /**
     * @notice Like `open`, approving the deposit with an EIP-2612 permit in the same transaction.
     * @dev A permit that fails (e.g. front-run by someone submitting it first) is ignored when the allowance is
     * already there; otherwise its error is re-thrown.
     * @param receiver the model who will be paid
     * @param amount the initial deposit, taken from the caller
     * @param deadline the permit's deadline (unix seconds)
     * @param v the permit signature's recovery byte
     * @param r the permit signature's r
     * @param s the permit signature's s
     * @return channelId the new channel's id
     */
    function openWithPermit(address receiver, uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        nonReentrant
        returns (bytes32 channelId)
    {
        _permit(amount, deadline, v, r, s);
        return _open(receiver, amount);
    }

    /**
     * @notice Adds `amount` to the caller's open channel to `receiver` (the caller must have approved it).
     * @param receiver the channel's receiver
     * @param amount added to the deposit
     */
    function topUp(address receiver, uint256 amount) external nonReentrant {
        _topUp(receiver, amount);
    }

    /**
     * @notice Like `topUp`, approving with an EIP-2612 permit in the same transaction.
     * @param receiver the channel's receiver
     * @param amount added to the deposit
     * @param deadline the permit's deadline (unix seconds)
     * @param v the permit signature's recovery byte
     * @param r the permit signature's r
     * @param s the permit signature's s
     */
    function topUpWithPermit(address receiver, uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        nonReentrant
    {
        _permit(amount, deadline, v, r, s);
        _topUp(receiver, amount);
    }

    /**
     * @notice Starts closing the caller's channel to `receiver` without their help. The receiver can still settle
     * vouchers until `closesAt`; then the caller calls `withdraw`.
     * @param receiver the channel's receiver
     */
    function requestClose(address receiver) external nonReentrant {
        Channel storage ch = _channels[msg.sender][receiver];
        Channel memory c = ch;
        if (c.deposit == 0) revert ChannelNotOpen(msg.sender, receiver);
        bytes32 id = _channelId(msg.sender, receiver, c.epoch);
        if (c.closesAt != 0) revert ChannelClosing(id, c.closesAt);
        uint40 closesAt = SafeCast.toUint40(block.timestamp + challengePeriod);
        ch.closesAt = closesAt;
        emit CloseRequested(id, closesAt);
    }

    /**
     * @notice After the challenge period, closes the caller's channel to `receiver` and refunds what was not paid.
     * @param receiver the channel's receiver
     */
    function withdraw(address receiver) external nonReentrant {
        Channel storage ch = _channels[msg.sender][receiver];
        Channel memory c = ch;
        if (c.deposit == 0) revert ChannelNotOpen(msg.sender, receiver);
        bytes32 id = _channelId(msg.sender, receiver, c.epoch);
        if (c.closesAt == 0) revert CloseNotRequested(id);
        if (block.timestamp < c.closesAt) revert ChallengePeriodActive(id, c.closesAt);
        uint256 refund = _finish(msg.sender, receiver, c, id, c.paid);
        if (refund != 0) token.safeTransfer(msg.sender, refund);
    }

    // ----------------------------------------------------------------------------------------------------------
    // Receiver side
    // ----------------------------------------------------------------------------------------------------------

    /**
     * @notice Collects a voucher from `sender`'s channel to the caller: pays the caller the increase over what was
     * already paid, minus the platform fee. The channel stays open.
     * @param sender the channel's sender (the client)
     * @param cumulativeAmount the voucher's cumulative amount
     * @param signature the sender's 65-byte EIP-712 signature of the voucher
     */
    function settle(address sender, uint256 cumulativeAmount, bytes calldata signature) external nonReentrant {
        Channel storage ch = _channels[sender][msg.sender];
        Channel memory c = ch;
        if (c.deposit == 0) revert ChannelNotOpen(sender, msg.sender);
        bytes32 id = _channelId(sender, msg.sender, c.epoch);
        (address signer,,) = ECDSA.tryRecoverCalldata(_voucherDigest(id, cumulativeAmount), signature);
        (uint256 payout, uint256 fee) = _apply(ch, c, id, sender, signer, cumulativeAmount);
        _pay(msg.sender, payout, fee);
    }

    /**
     * @notice Collects many vouchers (one per sender, all to the caller) in one transaction, with one token
     * transfer. Reverts as a whole, with the failing voucher's error, if any voucher is not acceptable.
     * @param vouchers the vouchers, each naming its channel by sender, with a compact signature
     */
    function settleBatch(SignedVoucher[] calldata vouchers) external nonReentrant {
        uint256 n = vouchers.length;
        if (n == 0) revert EmptyBatch(msg.sender);
        uint256 totalPayout;
        uint256 totalFee;
        for (uint256 i = 0; i < n; ++i) {
            SignedVoucher calldata sv = vouchers[i];
            Channel storage ch = _channels[sv.sender][msg.sender];
            Channel memory c = ch;
            if (c.deposit == 0) revert ChannelNotOpen(sv.sender, msg.sender);
            bytes32 id = _channelId(sv.sender, msg.sender, c.epoch);
            (address signer,,) = ECDSA.tryRecover(_voucherDigest(id, sv.cumulativeAmount), sv.r, sv.vs);
            (uint256 payout, uint256 fee) = _apply(ch, c, id, sv.sender, signer, sv.cumulativeAmount);
            // Cannot overflow: each term is at most a deposit, and all deposits together are at most the
            // token's supply, which the constructor checked fits in 96 bits.
            unchecked {
                totalPayout += payout;
                totalFee += fee;
            }
        }
        _pay(msg.sender, totalPayout, totalFee);
    }

    /**
     * @notice Closes `sender`'s channel to the caller cooperatively: collects the voucher if it raises the amount
     * paid (pass an amount no higher than `paid` and an empty signature to close without one), then refunds the
     * rest of the deposit to the sender. The pair can be reopened later under a new channel id.
     * @param sender the channel's sender
     * @param cumulativeAmount the final voucher's cumulative amount
     * @param signature the sender's 65-byte signature of it, or empty when `cumulativeAmount <= paid`
     */
    function close(address sender, uint256 cumulativeAmount, bytes calldata signature) external nonReentrant {
        Channel storage ch = _channels[sender][msg.sender];
        Channel memory c = ch;
        if (c.deposit == 0) revert ChannelNotOpen(sender, msg.sender);
        bytes32 id = _channelId(sender, msg.sender, c.epoch);
        uint256 paid = c.paid;
        uint256 payout;
        uint256 fee;
        if (cumulativeAmount > paid) {
            (address signer,,) = ECDSA.tryRecoverCalldata(_voucherDigest(id, cumulativeAmount), signature);
            (payout, fee) = _apply(ch, c, id, sender, signer, cumulativeAmount);
            paid = cumulativeAmount;
        }
        uint256 refund = _finish(sender, msg.sender, c, id, paid);
        _pay(msg.sender, payout, fee);
        if (refund != 0) token.safeTransfer(sender, refund);
    }

    // ----------------------------------------------------------------------------------------------------------
    // Any submitter, for the receiver
    // ----------------------------------------------------------------------------------------------------------

    /**
     * @notice Collects a voucher from `sender`'s channel to `receiver` on the receiver's behalf: anyone may submit
     * it (a platform watcher while the receiver is offline, the receiver from another wallet), the payout always
     * goes to `receiver` and the fee to the fee recipient, exactly as if the receiver had called `settle`. The
     * channel stays open; during a requested close this works until `closesAt`, like `settle`.
     * @dev Emits the same `ChannelSettled` as `settle`: who submitted does not change the channel's state or where
     * the money goes, and is the transaction's sender on-chain anyway.
     * @param sender the channel's sender (the client), who signed the voucher
     * @param receiver the channel's receiver (the model), who is paid
     * @param cumulativeAmount the voucher's cumulative amount
     * @param signature the sender's 65-byte EIP-712 signature of the voucher
     */
    function settleFor(address sender, address receiver, uint256 cumulativeAmount, bytes calldata signature)
        external
        nonReentrant
    {
        Channel storage ch = _channels[sender][receiver];
        Channel memory c = ch;
        if (c.deposit == 0) revert ChannelNotOpen(sender, receiver);
        bytes32 id = _channelId(sender, receiver, c.epoch);
        (address signer,,) = ECDSA.tryRecoverCalldata(_voucherDigest(id, cumulativeAmount), signature);
        (uint256 payout, uint256 fee) = _apply(ch, c, id, sender, signer, cumulativeAmount);
        _pay(receiver, payout, fee);
    }

    /**
     * @notice Collects many vouchers, of many channels and receivers, on their receivers' behalf in one
     * transaction. Each receiver gets their payouts (consecutive entries with the same receiver share one token
     * transfer, so sort by receiver), the fee recipient one transfer for the whole batch. Reverts as a whole, with
     * the failing voucher's error, if any voucher is not acceptable.
     * @param vouchers the vouchers, each naming its channel by sender and receiver, with a compact signature
     */
    function settleForBatch(ReceiverVoucher[] calldata vouchers) external nonReentrant {
        uint256 n = vouchers.length;
        if (n == 0) revert EmptyBatch(msg.sender);
        uint256[] memory payouts = new uint256[](n);
        uint256 totalFee;
        for (uint256 i = 0; i < n; ++i) {
            ReceiverVoucher calldata rv = vouchers[i];
            Channel storage ch = _channels[rv.sender][rv.receiver];
            Channel memory c = ch;
            if (c.deposit == 0) revert ChannelNotOpen(rv.sender, rv.receiver);
            bytes32 id = _channelId(rv.sender, rv.receiver, c.epoch);
            (address signer,,) = ECDSA.tryRecover(_voucherDigest(id, rv.cumulativeAmount), rv.r, rv.vs);
            (uint256 payout, uint256 fee) = _apply(ch, c, id, rv.sender, signer, rv.cumulativeAmount);
            payouts[i] = payout;
            // Cannot overflow: see settleBatch.
            unchecked {
                totalFee += fee;
            }
        }
        // Every channel is recorded before the first transfer (checks-effects-interactions).
        address payee = vouchers[0].receiver;
        uint256 owed;
        for (uint256 i = 0; i < n; ++i) {
            address receiver = vouchers[i].receiver;
            if (receiver != payee) {
                if (owed != 0) token.safeTransfer(payee, owed);
                payee = receiver;
                owed = 0;
            }
            unchecked {
                owed += payouts[i];
            }
        }
        _pay(payee, owed, totalFee);
    }

    // ----------------------------------------------------------------------------------------------------------
    // Reads
    // ----------------------------------------------------------------------------------------------------------

    /**
     * @notice The current (or last) channel of a pair, with its lifecycle state.
     * @param sender the client
     * @param receiver the model
     * @return info id (zero if the pair never had a channel), deposit, paid, epoch, closesAt and state
     */
    function getChannel(address sender, address receiver) external view returns (ChannelInfo memory info) {
        Channel memory c = _channels[sender][receiver];
        if (c.epoch == 0) return info;
        info.channelId = _channelId(sender, receiver, c.epoch);
        info.deposit = c.deposit;
        info.paid = c.paid;
        info.epoch = c.epoch;
        info.closesAt = c.closesAt;
        info.state = c.deposit == 0 ? State.Closed : (c.closesAt == 0 ? State.Open : State.Closing);
    }

    /**
     * @notice The id a pair's channel has (or had) at a given epoch; epoch 1 is the pair's first channel.
     * @param sender the client
     * @param receiver the model
     * @param epoch the channel's epoch
     * @return the channel id
     */
    function channelIdAt(address sender, address receiver, uint256 epoch) external view returns (bytes32) {
        return _channelId(sender, receiver, epoch);
    }

    /**
     * @notice The EIP-712 digest a sender signs for a voucher.
     * @param channelId the channel the voucher is for
     * @param cumulativeAmount the total the sender agrees to have paid on this channel
     * @return the digest
     */
    function voucherDigest(bytes32 channelId, uint256 cumulativeAmount) external view returns (bytes32) {
        return _voucherDigest(channelId, cumulativeAmount);
    }

    /**
     * @notice The EIP-712 domain separator (name "LiveChannels", version "1", this chain, this contract).
     * @return the domain separator
     */
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ----------------------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------------------

    function _open(address receiver, uint256 amount) private returns (bytes32 id) {
        if (receiver == address(0) || receiver == msg.sender) revert InvalidReceiver(receiver);
        if (amount == 0) revert ZeroAmount(receiver);
        Channel memory c = _channels[msg.sender][receiver];
        if (c.deposit != 0) revert ChannelAlreadyOpen(_channelId(msg.sender, receiver, c.epoch));
        uint24 epoch = SafeCast.toUint24(uint256(c.epoch) + 1);
        // A closed channel left paid = 0 and closesAt = 0 behind, so only the epoch carries over.
        _channels[msg.sender][receiver] = Channel({deposit: SafeCast.toUint96(amount), paid: 0, epoch: epoch, closesAt: 0});
        id = _channelId(msg.sender, receiver, epoch);
        emit ChannelOpened(id, msg.sender, receiver, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    function _topUp(address receiver, uint256 amount) private {
        if (amount == 0) revert ZeroAmount(receiver);
        Channel storage ch = _channels[msg.sender][receiver];
        Channel memory c = ch;
        if (c.deposit == 0) revert ChannelNotOpen(msg.sender, receiver);
        bytes32 id = _channelId(msg.sender, receiver, c.epoch);
        if (c.closesAt != 0) revert ChannelClosing(id, c.closesAt);
        uint96 deposit = SafeCast.toUint96(uint256(c.deposit) + amount);
        ch.deposit = deposit;
        emit ChannelToppedUp(id, amount, deposit);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    function _permit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) private {
        try IERC20Permit(address(token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {}
        catch (bytes memory reason) {
            if (token.allowance(msg.sender, address(this)) < amount) {
                assembly ("memory-safe") {
                    revert(add(reason, 0x20), mload(reason))
                }
            }
        }
    }

    /// @dev Checks a recovered voucher against the channel and records it. Returns what to transfer.
    function _apply(
        Channel storage ch,
        Channel memory c,
        bytes32 id,
        address sender,
        address signer,
        uint256 cumulativeAmount
    ) private returns (uint256 payout, uint256 fee) {
        if (c.closesAt != 0 && block.timestamp >= c.closesAt) revert ChallengePeriodOver(id, c.closesAt);
        if (signer != sender || signer == address(0)) revert InvalidSignature(id, signer);
        if (cumulativeAmount <= c.paid) revert VoucherNotNewer(id, cumulativeAmount, c.paid);
        if (cumulativeAmount > c.deposit) revert VoucherExceedsDeposit(id, cumulativeAmount, c.deposit);
        // Fits: cumulativeAmount <= deposit, a uint96.
        ch.paid = uint96(cumulativeAmount);
        uint256 delta;
        // Cannot underflow: cumulativeAmount > c.paid was checked above.
        unchecked {
            delta = cumulativeAmount - c.paid;
        }
        fee = (delta * feeBps) / 10_000;
        payout = delta - fee;
        emit ChannelSettled(id, cumulativeAmount, payout, fee);
    }

    function _pay(address receiver, uint256 payout, uint256 fee) private {
        if (payout != 0) token.safeTransfer(receiver, payout);
        if (fee != 0) token.safeTransfer(feeRecipient, fee);
    }

    /// @dev Closes the channel, keeping only its epoch so the pair's next channel gets a new id. Returns the
    /// refund owed to the sender, which the caller transfers after all state changes.
    function _finish(address sender, address receiver, Channel memory c, bytes32 id, uint256 paid)
        private
        returns (uint256 refund)
    {
        // Cannot underflow: every recorded or applied voucher was checked to be at most the deposit.
        unchecked {
            refund = c.deposit - paid;
        }
        _channels[sender][receiver] = Channel({deposit: 0, paid: 0, epoch: c.epoch, closesAt: 0});
        emit ChannelClosed(id, paid, refund);
    }

    function _channelId(address sender, address receiver, uint256 epoch) private view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), sender, receiver, epoch));
    }

    function _voucherDigest(bytes32 channelId, uint256 cumulativeAmount) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(VOUCHER_TYPEHASH, channelId, cumulativeAmount)));
    }
}

/**
 * The signaling wire protocol, shared by the server and the browser client.
 *
 * Browser-safe: zod only, no `node:` imports. Every client-to-server event
 * carries one payload object and an acknowledgement callback; the server
 * validates the payload with the schema named after the event and answers
 * `{ ok: true, ...data }` or `{ ok: false, error: { code, message } }`.
 * Server-to-client events are pushes without an ack.
 */
import { z } from 'zod';

/** Protocol version; the client sends it in the socket.io `auth` object. */
export const PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------
// Limits shared by both sides (the client uses them to pre-validate forms).
export const LIMITS = {
  /** Longest chat message, in UTF-16 code units. */
  chatMaxLength: 500,
  /** Longest SDP accepted for relay. */
  sdpMaxLength: 16_384,
  /** Longest ICE candidate line. */
  iceMaxLength: 1_024,
  /** Largest sealed age document sent over the socket (base64url characters); bigger ones go over HTTP. */
  ageDocumentMaxLength: 60_000,
  /** Largest sealed age document uploaded over HTTP (`POST /age/documents`), bytes. */
  ageDocumentMaxBytes: 8 * 1024 * 1024,
  /** Largest socket.io frame the server accepts (maxHttpBufferSize), bytes. */
  maxFrameBytes: 65_536,
  /** Largest profile field, characters. */
  profileFieldMaxLength: 2_000,
  /** Slow mode ceiling, seconds. */
  slowModeMaxSeconds: 600,
  /** Longest mute, seconds. */
  muteMaxSeconds: 86_400,
  /** Private-show minimum minutes ceiling. */
  privateMaxMinMinutes: 240,
  /** Most priced actions on a model's tip menu. */
  tipMenuMaxItems: 20,
  /** Longest tip menu action ("Dance"), characters. */
  tipLabelMaxLength: 60,
  /** Longest tip goal title, characters. */
  tipGoalTitleMaxLength: 120,
} as const;

// ---------------------------------------------------------------------------
// Error codes: stable strings the client branches on.
export const ERROR_CODES = [
  'BAD_REQUEST', // payload failed validation
  'UNAUTHENTICATED', // event needs a login first
  'FORBIDDEN', // logged in, but not allowed (wrong role, not the owner)
  'NOT_FOUND', // model, show or session does not exist
  'CONFLICT', // state does not allow it (show already open, session already answered)
  'RATE_LIMITED', // too many events; retry later
  'SLOW_MODE', // chat slow mode: wait before the next message
  'MUTED', // muted in this show's chat
  'BANNED', // banned by this model
  'LOGIN_FAILED', // challenge expired, replayed or bad signature
  'SESSION_EXPIRED', // session token invalid or expired
  'AGE_VERIFICATION_REQUIRED', // model has no valid attestation
  'REGION_BLOCKED', // the model hides from the country this connection comes from
  'CHAIN_UNAVAILABLE', // no chain configured or the RPC failed
  'CHANNEL_INSUFFICIENT', // channel missing, not to this model, closing, or deposit too small
  'VOUCHER_INVALID', // bad signature, wrong channel, not monotonic or over the deposit
  'TURN_UNAVAILABLE', // no TURN server configured
  'SFU_UNAVAILABLE', // no media server (SFU host) is alive to take the show or the viewer
  'RECEIVER_UNVERIFIED', // the browser refused the model's wallet: its binding is missing or not signed by the model's key from the link
  'INTERNAL', // bug or dependency failure; details only in the server log
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorBody { code: ErrorCode; message: string }
export type AckOk<T> = { ok: true } & T;
export type AckErr = { ok: false; error: ErrorBody };
export type Ack<T = object> = AckOk<T> | AckErr;
export type AckFn<T = object> = (res: Ack<T>) => void;

// ---------------------------------------------------------------------------
// Primitives
/** Ed25519 public key, 32 bytes in unpadded base64url. */
export const PublicKey = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'expected a base64url Ed25519 public key');
/** Ed25519 signature, 64 bytes in unpadded base64url. */
export const Signature = z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'expected a base64url Ed25519 signature');
/** Opaque server-issued id (show, session, message). */
export const Id = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'expected an id');
/** An amount of LIVE in base units (wei), as a decimal string. */
export const Amount = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, 'expected a decimal amount in base units');
export const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x address');
export const Bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected 32 bytes of 0x hex');
export const HexSignature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'expected a 65-byte 0x signature');
const Base64 = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9+/_-]+={0,2}$/, 'expected base64');

/**
 * Countries a model can hide from (ISO 3166-1 alpha-2, plus XK for Kosovo): every code the server's country data
 * (signaling/geoip.ts) can answer. A model hides from whole countries: the data has no regions.
 */
export const COUNTRY_CODES: readonly string[] = (
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW '
  + 'BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI '
  + 'FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN '
  + 'IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME '
  + 'MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF '
  + 'PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV '
  + 'SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK '
  + 'YE YT ZA ZM ZW'
).split(' ');
const COUNTRY_SET: ReadonlySet<string> = new Set(COUNTRY_CODES);
/** A country code of `COUNTRY_CODES`. */
export const CountryCode = z.string().refine((c) => COUNTRY_SET.has(c), 'expected an ISO 3166-1 alpha-2 country code in upper case');

export const Role = z.enum(['model', 'client']);
export type Role = z.infer<typeof Role>;

export const ModelStatus = z.enum(['offline', 'online', 'public', 'private']);
export type ModelStatus = z.infer<typeof ModelStatus>;

/** An EIP-712 voucher `{channelId, cumulativeAmount}` signed by the channel's sender wallet. */
export const Voucher = z.strictObject({
  channelId: Bytes32,
  cumulativeAmount: Amount,
  signature: HexSignature,
});
export type Voucher = z.infer<typeof Voucher>;

/** An amount above zero (a price or a target). */
export const PositiveAmount = Amount.refine((a) => a !== '0', 'expected an amount above zero');
/** One priced action of a model's tip menu ("Dance", 5 LIVE in base units). */
export const TipMenuItem = z.strictObject({
  label: z.string().min(1).max(LIMITS.tipLabelMaxLength),
  amount: PositiveAmount,
});
export type TipMenuItem = z.infer<typeof TipMenuItem>;

/** A model's tip goal as everyone in the show sees it. */
export interface TipGoal {
  /** New on every change of the goal: progress starts again from zero. */
  id: string;
  title: string;
  /** Base units. */
  target: string;
  /** Tips in the model's current show since the goal was set (base units). */
  progress: string;
  /** The show the progress counts in; null when the model has no open show. */
  showId: string | null;
}

/** One model as the directory shows it. No personal data: key, pseudonym, state, price. */
export interface DirectoryEntry {
  key: string;
  pseudonym: string;
  status: ModelStatus;
  /** Price per minute of a private show, base units; '0' when unset. */
  pricePerMinute: string;
  /** Minimum minutes of a private show. */
  minMinutes: number;
  /** Open public show, if any. */
  showId: string | null;
  viewers: number;
  /** The ranking from public chain data (contracts/RATING.md); absent without a chain. */
  rating?: DirectoryRank;
}

/** A model's place in the directory, checkable with `npm run rating -- --block <block>`. */
export interface DirectoryRank {
  /** The wallet the model bound (lower case), whose on-chain payments are scored; null when none is bound. */
  wallet: string | null;
  score: number;
  /** What the directory orders by: a new model gets at least the prior. */
  rankScore: number;
  isNew: boolean;
  /** The last block read. */
  block: number;
}

export interface ChatMessage {
  showId: string;
  id: string;
  /** Sender's identity key and pseudonym; the system itself sends with key ''. */
  from: { key: string; pseudonym: string };
  kind: 'text' | 'tip' | 'system';
  /** Plain text: the client must render it as text, never as HTML. */
  text: string;
  /** Tip amount in base units, for kind 'tip'. */
  amount?: string;
  /** The tip menu action the tip paid for (kind 'tip'), when it paid at least its price. */
  item?: string;
  at: number;
}

/** The numbers of a private session's contracts/metering.ts `PaymentMeter`, as the server enforces them. */
export interface Metering {
  /** Accept time (ms since the epoch): minute 1 starts here. */
  startedAt: number;
  /** Channel amount already owed before this session (base units); minute N costs up to `baseline + N * price`. */
  baseline: string;
  /** Length of a billed minute, ms. */
  minuteMs: number;
  /** How late a minute's voucher may be, ms. */
  graceMs: number;
}

/** The terms of an accepted private session, told to both sides. */
export interface PrivateTerms {
  pricePerMinute: string;
  minMinutes: number;
  channelId: string;
  /** True only when both sides opted in to a direct connection; otherwise every candidate is `typ relay`. */
  direct: boolean;
}

/** A channel's latest voucher as the server keeps it for the model: their money, settleable from any device. */
export interface KeptVoucher extends Voucher {
  /** The channel's sender (client wallet) and receiver (model wallet), lower-case. */
  sender: string;
  receiver: string;
  /** When the server last raised it (ms). */
  updatedAt: number;
}

export interface TurnCredentials { urls: string[]; username: string; credential: string; ttlSeconds: number }

// ---------------------------------------------------------------------------
// Client-to-server payload schemas, one per event.
const Empty = z.strictObject({});

export const schemas = {
  'session:challenge': Empty,
  'session:login': z.strictObject({
    publicKey: PublicKey,
    /** The challenge string exactly as received from `session:challenge` (JSON of crypto/login.ts `LoginChallenge`). */
    challenge: z.string().min(1).max(1024),
    /** crypto/login.ts `signChallenge(...).signature`. */
    signature: Signature,
    role: Role,
  }),
  /** Resumes a session after a reconnect (or a page load) without a new challenge; the role defaults to the session's. */
  'session:resume': z.strictObject({ token: z.string().min(1).max(256), role: Role.optional() }),
  'session:logout': Empty,

  'wallet:bind': z.strictObject({
    address: Address,
    /** The wallet's EIP-191 signature over the identity key. */
    walletSignature: HexSignature,
    /** The identity's Ed25519 signature over the address. */
    identitySignature: Signature,
  }),

  'directory:subscribe': Empty,
  'directory:unsubscribe': Empty,

  'model:setPrice': z.strictObject({
    pricePerMinute: Amount,
    minMinutes: z.number().int().min(1).max(LIMITS.privateMaxMinMinutes),
  }),

  'show:open': Empty,
  'show:close': Empty,
  'show:watch': z.strictObject({ model: PublicKey }),
  'show:leave': z.strictObject({ showId: Id }),

  'chat:send': z.strictObject({ showId: Id, text: z.string().min(1).max(LIMITS.chatMaxLength) }),
  /** `item`: the label of the model's tip menu action this tip pays for (it must be on the menu). */
  'chat:tip': z.strictObject({ showId: Id, voucher: Voucher, item: TipMenuItem.shape.label.optional() }),
  'chat:mute': z.strictObject({ showId: Id, target: PublicKey, seconds: z.number().int().min(1).max(LIMITS.muteMaxSeconds) }),
  'chat:ban': z.strictObject({ target: PublicKey }),
  'chat:unban': z.strictObject({ target: PublicKey }),
  'chat:slowMode': z.strictObject({ showId: Id, seconds: z.number().int().min(0).max(LIMITS.slowModeMaxSeconds) }),

  'private:request': z.strictObject({
    model: PublicKey,
    pricePerMinute: Amount,
    minMinutes: z.number().int().min(1).max(LIMITS.privateMaxMinMinutes),
    channelId: Bytes32,
    /** The client opts in to a direct (non-relayed) connection, which shows each side the other's IP address. */
    direct: z.boolean().optional(),
  }),
  /** `direct`: the model opts in too; the call is direct only when both did. */
  'private:accept': z.strictObject({ sessionId: Id, direct: z.boolean().optional() }),
  'private:decline': z.strictObject({ sessionId: Id }),
  'private:signal': z.strictObject({
    sessionId: Id,
    description: z.strictObject({ type: z.enum(['offer', 'answer']), sdp: z.string().min(1).max(LIMITS.sdpMaxLength) }).optional(),
    candidate: z.strictObject({
      candidate: z.string().max(LIMITS.iceMaxLength),
      sdpMid: z.string().max(64).nullable().optional(),
      sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
    }).optional(),
    /**
     * The sender's DTLS fingerprint and crypto/fingerprint.ts `signFingerprint({ sessionId, fingerprint, ownKey: sender, peerKey: receiver })`
     * signature; the server checks it, the receiver rebuilds the statement from `from` and checks it again.
     */
    fingerprint: z.strictObject({ fingerprint: z.string().min(1).max(256), signature: Signature }).optional(),
  }).refine((s) => s.description || s.candidate || s.fingerprint, 'expected a description, a candidate or a fingerprint')
    // The offer and the answer each travel with the sender's signed fingerprint statement: the peer refuses either without it.
    .refine((s) => !s.description || s.fingerprint, 'fingerprint: an offer or answer must carry the signed fingerprint statement'),
  /** `tip`: this voucher's increment includes a tip of this amount (it buys no minutes). */
  'private:voucher': z.strictObject({ sessionId: Id, voucher: Voucher, tip: Amount.optional() }),
  'private:end': z.strictObject({ sessionId: Id }),

  /** The model's kept vouchers: the latest one of every channel paying this model's bound wallet (any device). */
  'vouchers:list': Empty,
  /**
   * Hands the server a voucher to keep for the model (the client after a reconnect, the model's browser for
   * vouchers it got over the data channel while signaling was away). Checked like any voucher; kept only if higher.
   */
  'vouchers:store': z.strictObject({ model: PublicKey, voucher: Voucher }),

  /** The countries that cannot see this model (whole list, replacing the previous one; empty: hidden from nobody). */
  'regions:set': z.strictObject({
    countries: z.array(CountryCode).max(COUNTRY_CODES.length)
      .refine((l) => new Set(l).size === l.length, 'expected each country once'),
  }),
  'regions:get': Empty,

  'profile:set': z.strictObject({
    fields: z.record(z.string().regex(/^[a-z][a-zA-Z0-9]{0,31}$/), z.string().max(LIMITS.profileFieldMaxLength))
      .refine((r) => Object.keys(r).length <= 16, 'expected at most 16 fields'),
  }),
  'profile:get': Empty,
  'account:delete': Empty,

  'age:submit': z.strictObject({ sealedDocument: Base64(LIMITS.ageDocumentMaxLength), verifierKey: PublicKey }),
  'age:status': Empty,

  /** The model's tip menu (whole list, replacing the previous one; empty: no menu). Labels are unique. */
  'tips:setMenu': z.strictObject({
    items: z.array(TipMenuItem).max(LIMITS.tipMenuMaxItems)
      .refine((l) => new Set(l.map((i) => i.label.trim().toLowerCase())).size === l.length, 'expected each label once'),
  }),
  /** The model's tip goal; a new one (even with the same words) starts from zero; null removes it. */
  'tips:setGoal': z.strictObject({
    goal: z.strictObject({ title: z.string().min(1).max(LIMITS.tipGoalTitleMaxLength), target: PositiveAmount }).nullable(),
  }),
  /** A model's tip menu and goal: public, no login needed. */
  'tips:get': z.strictObject({ model: PublicKey }),
} as const;

export type ClientEvent = keyof typeof schemas;
export const CLIENT_EVENTS = Object.keys(schemas) as ClientEvent[];
export type Payload<E extends ClientEvent> = z.input<(typeof schemas)[E]>;

/** The data each event answers with, besides `ok: true`. */
export interface Replies {
  /** JSON of crypto/login.ts `LoginChallenge`: `signChallenge(identity, JSON.parse(challenge), location.origin)`. */
  'session:challenge': { challenge: string };
  'session:login': { token: string; key: string; pseudonym: string; role: Role; expiresAt: number };
  'session:resume': { token: string; key: string; pseudonym: string; role: Role; expiresAt: number; showIds: string[]; privateSessionIds: string[] };
  'session:logout': object;
  'wallet:bind': { address: string };
  'directory:subscribe': { models: DirectoryEntry[] };
  'directory:unsubscribe': object;
  'model:setPrice': { entry: DirectoryEntry };
  'show:open': { showId: string; whipUrl: string; whipToken: string };
  'show:close': object;
  'show:watch': { showId: string; whepUrl: string; whepToken: string; model: DirectoryEntry; slowModeSeconds: number };
  'show:leave': object;
  'chat:send': { id: string };
  'chat:tip': { id: string; amount: string };
  'chat:mute': object;
  'chat:ban': object;
  'chat:unban': object;
  'chat:slowMode': object;
  'private:request': { sessionId: string; timeoutSeconds: number };
  'private:accept': { sessionId: string; turn: TurnCredentials; client: { key: string; pseudonym: string } } & Metering & PrivateTerms;
  'private:decline': object;
  /** `relayed: false` when the server dropped the candidate (not `typ relay` in a relay-only call). */
  'private:signal': { relayed: boolean };
  'private:voucher': { paidMinutes: number; paidUntil: number };
  'vouchers:list': { vouchers: KeptVoucher[] };
  'vouchers:store': { stored: boolean };
  'private:end': object;
  /** The countries hidden from, sorted. */
  'regions:set': { countries: string[] };
  'regions:get': { countries: string[] };
  'profile:set': object;
  'profile:get': { fields: Record<string, string> };
  'account:delete': object;
  'age:submit': { status: AgeStatus };
  /**
   * `expiresAt` (ms since the epoch): when a verified model must verify again, or a pending document is deleted
   * unread. `verifierKeys`: the verifiers this server accepts documents for (VERIFIER_PUBLIC_KEYS), the server's
   * word only: the browser seals to one only when it came in the verifier's link or the model confirmed its
   * fingerprint (client/services/age-verification.ts). `required`: going live needs a verified status.
   */
  'age:status': { status: AgeStatus; expiresAt?: number; verifierKeys: string[]; required: boolean };
  'tips:setMenu': { menu: TipMenuItem[] };
  'tips:setGoal': { goal: TipGoal | null };
  'tips:get': { menu: TipMenuItem[]; goal: TipGoal | null };
}

export type AgeStatus = 'none' | 'pending' | 'verified' | 'rejected';

/** `region`: the model now hides from the country this viewer connects from. */
export type EndReason = 'ended' | 'declined' | 'timeout' | 'voucher_late' | 'disconnected' | 'banned' | 'deleted' | 'region';

// ---------------------------------------------------------------------------
// Socket.io typed interfaces.
export type ClientToServer = {
  [E in ClientEvent]: (payload: Payload<E>, ack: AckFn<Replies[E]>) => void;
};

export interface ServerToClient {
  'directory:update': (entry: DirectoryEntry) => void;
  'show:ended': (e: { showId: string; reason: EndReason }) => void;
  'show:viewers': (e: { showId: string; viewers: number }) => void;
  /**
   * To a show's viewers and its model: the publisher's media stopped reaching the SFU (`stalled: true`; the show
   * leaves the directory's public list), or flows again (`stalled: false`). Without media for SFU_STALL_END_SECONDS
   * the show ends (`show:ended`, reason `disconnected`).
   */
  'show:stalled': (e: { showId: string; stalled: boolean }) => void;
  'chat:message': (m: ChatMessage) => void;
  'chat:slowMode': (e: { showId: string; seconds: number }) => void;
  'chat:moderated': (e: { showId: string | null; action: 'muted' | 'banned' | 'unbanned'; target: string; until?: number }) => void;
  'private:request': (e: { sessionId: string; client: { key: string; pseudonym: string }; pricePerMinute: string; minMinutes: number; channelId: string; expiresAt: number }) => void;
  'private:accepted': (e: { sessionId: string; turn: TurnCredentials; model: { key: string; pseudonym: string } } & Metering & PrivateTerms) => void;
  'private:declined': (e: { sessionId: string; reason: 'declined' | 'timeout' }) => void;
  'private:signal': (e: { sessionId: string; from: string; description?: { type: 'offer' | 'answer'; sdp: string }; candidate?: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null }; fingerprint?: { fingerprint: string; signature: string } }) => void;
  'private:voucher': (e: { sessionId: string; voucher: Voucher; paidMinutes: number; paidUntil: number; tip?: string }) => void;
  /** To the model: a tip's voucher, to settle later. */
  'tip:voucher': (e: { showId: string; from: { key: string; pseudonym: string }; voucher: Voucher; amount: string }) => void;
  'private:ended': (e: { sessionId: string; reason: EndReason; by?: string }) => void;
  'age:status': (e: { status: AgeStatus }) => void;
  /** To the model's show and the model: the tip menu changed. */
  'tips:menu': (e: { model: string; menu: TipMenuItem[] }) => void;
  /** To the model's show and the model: the goal changed, or a tip moved its progress (null: no goal). */
  'tips:goal': (e: { model: string; goal: TipGoal | null }) => void;
}

/**
 * HTTP upload of a sealed age document (too big for a socket frame):
 * `POST /age/documents?verifierKey=<key>`, `Authorization: Bearer <session token>`,
 * `Content-Type: application/octet-stream`, body = the bytes of crypto/age.ts `sealDocument`.
 * Answers `{ ok: true, status }`, or an error as every HTTP route does: `{ error: { code, message } }`.
 */
export const AGE_DOCUMENT_PATH = '/age/documents';

/**
 * Chain access for the browser's wallet, all same-origin (the page talks to no third party):
 * `GET CHAIN_INFO_PATH` answers `ChainInfoBody`; `POST RPC_PATH` is a JSON-RPC proxy to the platform's chain that
 * passes only the read and `eth_sendRawTransaction` methods a wallet needs; `POST FAUCET_PATH` with
 * `{ address }` funds a wallet on the embedded demo chain only (404 elsewhere).
 */
export const CHAIN_INFO_PATH = '/api/chain';
export const RPC_PATH = '/api/rpc';
export const FAUCET_PATH = '/api/faucet';
/**
 * `GET RECEIVER_PATH/<model key>` answers `ReceiverBody`: the wallet an online model bound, to open a channel to,
 * with the binding's two signatures so that the browser checks it against the model's key from the link
 * (contracts/wallet-binding.ts `verifyWalletBinding`) instead of trusting the server.
 */
export const RECEIVER_PATH = '/api/receiver';
export interface ReceiverBody {
  /** The bound wallet, lower case. */
  address: string;
  /** The binding as the model made it (`wallet:bind`); absent when the wallet was bound without its signatures. */
  binding?: { v: 1; identityKey: string; address: string; walletSignature: string; identitySignature: string };
}
export interface ChainInfoBody {
  chainId: number;
  token: string;
  channels: string;
  /** The LiveChannels challenge period, seconds (a client's close completes this long after it is requested). */
  challengePeriodSeconds: number;
  /** Platform fee, basis points, as the contract says. */
  feeBps: number;
  /** True on the embedded demo chain, where FAUCET_PATH funds wallets. */
  faucet: boolean;
}

/** Whip/whep URL paths (relative to the platform's base URL). */
export const whipPath = (showId: string): string => `/whip/${showId}`;
export const whepPath = (showId: string): string => `/whep/${showId}`;

/** First validation issue as a short human message, for the error ack. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid payload';
  const path = issue.path.length ? issue.path.join('.') + ': ' : '';
  return `${path}${issue.message}`.slice(0, 200);
}

/**
 * Signed DTLS fingerprints for private (peer-to-peer) calls. Each side signs
 * `{sessionId, its certificate fingerprint, its own key, the peer's key}` with
 * its identity key; the other side checks the signature, that the statement
 * names this session and both keys the right way round, and that the
 * fingerprint equals the one of the live connection (getStats
 * `remoteCertificateId` -> certificate `fingerprint`). A relay that swaps
 * certificates (man in the middle in signaling) is caught.
 */
import { CryptoError } from './crypto-error.ts';
import type { Identity } from './identity.ts';
import { asObject, asString, decodePublicKey, signStatement, verifyStatement } from './statement.ts';

/** What a side states about its end of a call. */
export interface FingerprintStatement {
  /** Private-session id assigned by signaling. */
  sessionId: string;
  /** DTLS certificate fingerprint, e.g. `sha-256 AB:CD:...` (any case; normalized). */
  fingerprint: string;
  /** Signer's identity public key. */
  ownKey: string;
  /** The other side's identity public key. */
  peerKey: string;
}

/** A signed statement as sent to the peer. */
export interface SignedFingerprint extends FingerprintStatement {
  /** Format version. */
  v: 1;
  /** Ed25519 signature (base64url) by `ownKey`. */
  signature: string;
}

/** What the receiving side expects (all optional, but a call should pass all). */
export interface ExpectedFingerprint {
  /** The session this call belongs to. */
  sessionId?: string;
  /** The peer's key as known from signaling (must equal the statement's `ownKey`). */
  signerKey?: string;
  /** My own key (must equal the statement's `peerKey`). */
  myKey?: string;
  /** The fingerprint of the live connection's remote certificate. */
  fingerprint?: string;
}

const DIGEST_BYTES: Record<string, number> = { 'sha-1': 20, 'sha-224': 28, 'sha-256': 32, 'sha-384': 48, 'sha-512': 64 };

/**
 * Canonical form `sha-256 AB:CD:...`: lowercase algorithm, uppercase hex,
 * colon-separated, length checked for the algorithm. Accepts an SDP
 * `a=fingerprint:` prefix. Throws CRYPTO_BAD_ENCODING.
 */
export function normalizeFingerprint(fingerprint: unknown): string {
  if (typeof fingerprint !== 'string' || fingerprint.length > 300) throw new CryptoError('CRYPTO_BAD_ENCODING', 'fingerprint: expected a string');
  const m = /^(?:a=fingerprint:)?\s*([A-Za-z0-9-]+)\s+([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})*)\s*$/.exec(fingerprint);
  const algorithm = m?.[1]?.toLowerCase();
  const size = algorithm === undefined ? undefined : DIGEST_BYTES[algorithm];
  if (!m || size === undefined) throw new CryptoError('CRYPTO_BAD_ENCODING', 'fingerprint: expected "<sha-256|sha-384|...> AB:CD:..."');
  const hex = m[2]!.toUpperCase();
  if (hex.split(':').length !== size) throw new CryptoError('CRYPTO_BAD_ENCODING', `fingerprint: ${algorithm} needs ${size} bytes`);
  return `${algorithm} ${hex}`;
}

/** True when two fingerprints are equal after normalization (false if either is malformed). */
export function fingerprintsEqual(a: unknown, b: unknown): boolean {
  try {
    return normalizeFingerprint(a) === normalizeFingerprint(b);
  } catch {
    return false;
  }
}

/** Sign my side's statement; `ownKey` must be the identity's key. */
export async function signFingerprint(statement: FingerprintStatement, identity: Identity): Promise<SignedFingerprint> {
  const st = parseStatement(statement);
  if (st.ownKey !== identity?.publicKey) throw new CryptoError('CRYPTO_BAD_INPUT', 'ownKey must be the signing identity\'s key');
  const signature = await signStatement('dtlsFingerprint', fields(st), identity.secretKey);
  return { v: 1, ...st, signature };
}

/**
 * Verify the peer's signed statement and that it matches `expected`
 * (CRYPTO_STATEMENT_MISMATCH otherwise). Returns the normalized statement.
 */
export async function verifyFingerprint(signed: unknown, expected: ExpectedFingerprint = {}): Promise<SignedFingerprint> {
  const o = asObject(signed, 'signed fingerprint');
  if (o.v !== 1) throw new CryptoError('CRYPTO_BAD_ENCODING', 'signed fingerprint: unknown version');
  const st = parseStatement(o);
  const signature = asString(o.signature, 'signature', 86);
  await verifyStatement('dtlsFingerprint', fields(st), signature, st.ownKey);
  if (expected.sessionId !== undefined && expected.sessionId !== st.sessionId) mismatch('session');
  if (expected.signerKey !== undefined && expected.signerKey !== st.ownKey) mismatch('signer key');
  if (expected.myKey !== undefined && expected.myKey !== st.peerKey) mismatch('peer key');
  if (expected.fingerprint !== undefined && normalizeFingerprint(expected.fingerprint) !== st.fingerprint) mismatch('fingerprint');
  return { v: 1, ...st, signature };
}

function mismatch(what: string): never {
  throw new CryptoError('CRYPTO_STATEMENT_MISMATCH', `signed fingerprint is for another ${what}`);
}

function parseStatement(value: unknown): FingerprintStatement {
  const o = asObject(value, 'fingerprint statement');
  const sessionId = asString(o.sessionId, 'sessionId', 128);
  if (/[\u0000-\u001f\u007f]/.test(sessionId)) throw new CryptoError('CRYPTO_BAD_ENCODING', 'sessionId: control characters');
  const ownKey = asString(o.ownKey, 'ownKey', 43);
  const peerKey = asString(o.peerKey, 'peerKey', 43);
  decodePublicKey(ownKey, 'ownKey');
  decodePublicKey(peerKey, 'peerKey');
  if (ownKey === peerKey) throw new CryptoError('CRYPTO_BAD_INPUT', 'ownKey and peerKey must differ');
  return { sessionId, fingerprint: normalizeFingerprint(o.fingerprint), ownKey, peerKey };
}

function fields(st: FingerprintStatement) {
  return { sessionId: st.sessionId, fingerprint: st.fingerprint, ownKey: st.ownKey, peerKey: st.peerKey };
}

/**
 * Age verification that keeps the document away from the platform.
 *
 * Keys: a verifier has one Ed25519 identity (its public key is what operators
 * list in VERIFIER_PUBLIC_KEYS). Documents are sealed (crypto_box_seal:
 * ephemeral X25519 + XSalsa20-Poly1305) to the X25519 key *derived* from that
 * Ed25519 key (crypto_sign_ed25519_pk_to_curve25519), so one published key
 * serves both for attestations and for encryption. libsodium documents this
 * conversion as safe for using one key pair for signing and sealed boxes.
 *
 * Flow: the model's browser calls `sealDocument` (the blob names the model key
 * and is signed by it, so the verifier knows whose document it is and that
 * the key holder sent it); the platform keeps the blob only until the
 * verifier has processed it; the verifier opens it (`openDocument`), decides,
 * and signs an attestation (`signAttestation`); the platform keeps only the
 * attestation and gates going live on `verifyAttestation`.
 */
import { CryptoError } from './crypto-error.ts';
import { concatBytes, fromBase64url, fromUtf8, toBase64url, utf8 } from './encoding.ts';
import { checkedSeed, type Identity } from './identity.ts';
import { asBool, asInt, asObject, asString, decodePublicKey, resolveNow, signStatement, verifyStatement } from './statement.ts';
import { ready, type Sodium } from './sodium.ts';

/** Largest document accepted (a photo or scan of an ID). */
export const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;

/** Options of `sealDocument`. */
export interface SealDocumentOptions {
  /** Media type of the document, e.g. `image/jpeg` (default `application/octet-stream`). */
  mimeType?: string;
  /** Current Unix time in seconds (tests). */
  now?: number;
}

/** A document opened by the verifier. */
export interface OpenedDocument {
  /** Public key of the model who submitted it (signed by that key). */
  modelKey: string;
  /** Media type claimed by the model. */
  mimeType: string;
  /** Unix seconds, as claimed by the model's device. */
  submittedAt: number;
  /** The document bytes. */
  document: Uint8Array;
}

/** A verifier's signed decision. Contains no document data. */
export interface AgeAttestation {
  /** Format version. */
  v: 1;
  /** Public key of the model the decision is about. */
  modelKey: string;
  /** True when the verifier saw proof the model is an adult. */
  adult: boolean;
  /** Unix seconds of the decision. */
  issuedAt: number;
  /** Public key of the verifier (must be in the operator's trusted list). */
  verifierKey: string;
  /** Ed25519 signature (base64url) by `verifierKey`. */
  signature: string;
}

/** Options of `verifyAttestation`. */
export interface VerifyAttestationOptions {
  /** Require the attestation to be about this model key. */
  modelKey?: string;
  /** Refuse `adult: false` with CRYPTO_NOT_ADULT (default true: this is the go-live gate). */
  requireAdult?: boolean;
  /** Refuse attestations older than this many seconds (default: no limit). */
  maxAgeSeconds?: number;
  /** Tolerated clock skew for `issuedAt` in the future (default 300 s). */
  skewSeconds?: number;
}

/**
 * Encrypt a document to the verifier (in the model's browser). Returns the
 * sealed blob; only the verifier's secret key opens it.
 */
export async function sealDocument(verifierPublicKey: string, document: Uint8Array, submitter: Identity,
  options: SealDocumentOptions = {}): Promise<Uint8Array> {
  const s = await ready();
  const curvePk = toCurvePublic(s, decodePublicKey(verifierPublicKey, 'verifier key'));
  if (!(document instanceof Uint8Array) || document.length === 0 || document.length > MAX_DOCUMENT_BYTES) {
    throw new CryptoError('CRYPTO_BAD_INPUT', 'document: expected 1 byte to 20 MiB');
  }
  checkedSeed(s, submitter);
  const mimeType = checkMime(options.mimeType ?? 'application/octet-stream');
  const fields = {
    modelKey: submitter.publicKey, verifierKey: verifierPublicKey, mimeType,
    submittedAt: resolveNow(options.now), documentHash: toBase64url(s.crypto_generichash(32, document, null)),
  };
  const signature = await signStatement('ageSubmission', fields, submitter.secretKey);
  const header = utf8(JSON.stringify({ v: 1, ...fields, signature }));
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, header.length);
  try {
    return s.crypto_box_seal(concatBytes(len, header, document), curvePk);
  } catch (err) {
    throw new CryptoError('CRYPTO_INTERNAL', 'sealing failed', { cause: err });
  }
}

/**
 * Open a sealed document with the verifier's identity (Uint8Array or its
 * base64url). Checks the model's signature and that it was sealed for this verifier.
 */
export async function openDocument(verifierIdentity: Identity, blob: Uint8Array | string): Promise<OpenedDocument> {
  const s = await ready();
  checkedSeed(s, verifierIdentity);
  const sealed = typeof blob === 'string' ? fromBase64url(blob, undefined, 'sealed document') : blob;
  if (!(sealed instanceof Uint8Array)) throw new CryptoError('CRYPTO_BAD_ENCODING', 'sealed document: expected bytes');
  if (sealed.length < s.crypto_box_SEALBYTES + 5) throw new CryptoError('CRYPTO_BAD_ENCODING', 'sealed document: truncated');
  const edPk = decodePublicKey(verifierIdentity.publicKey);
  let inner: Uint8Array;
  try {
    const curveSk = s.crypto_sign_ed25519_sk_to_curve25519(verifierIdentity.secretKey);
    inner = s.crypto_box_seal_open(sealed, toCurvePublic(s, edPk), curveSk);
    s.memzero(curveSk);
  } catch (err) {
    throw new CryptoError('CRYPTO_DECRYPT_FAILED', 'sealed document does not open with this verifier key', { cause: err });
  }
  const headerLen = new DataView(inner.buffer, inner.byteOffset, inner.byteLength).getUint32(0);
  if (headerLen > 4096 || 4 + headerLen > inner.length) throw new CryptoError('CRYPTO_BAD_ENCODING', 'sealed document: bad header');
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUtf8(inner.subarray(4, 4 + headerLen), 'header'));
  } catch (err) {
    throw err instanceof CryptoError ? err : new CryptoError('CRYPTO_BAD_ENCODING', 'sealed document: header is not JSON', { cause: err });
  }
  const h = asObject(parsed, 'sealed document header');
  if (h.v !== 1) throw new CryptoError('CRYPTO_BAD_ENCODING', 'sealed document: unknown version');
  const document = inner.subarray(4 + headerLen);
  const fields = {
    modelKey: asString(h.modelKey, 'modelKey', 43), verifierKey: asString(h.verifierKey, 'verifierKey', 43),
    mimeType: checkMime(h.mimeType), submittedAt: asInt(h.submittedAt, 'submittedAt'),
    documentHash: asString(h.documentHash, 'documentHash', 43),
  };
  await verifyStatement('ageSubmission', fields, h.signature, fields.modelKey);
  if (fields.verifierKey !== verifierIdentity.publicKey) {
    throw new CryptoError('CRYPTO_STATEMENT_MISMATCH', 'document was submitted for another verifier');
  }
  if (!s.memcmp(fromBase64url(fields.documentHash, 32, 'documentHash'), s.crypto_generichash(32, document, null))) {
    throw new CryptoError('CRYPTO_BAD_SIGNATURE', 'document does not match the signed hash');
  }
  return { modelKey: fields.modelKey, mimeType: fields.mimeType, submittedAt: fields.submittedAt, document };
}

/** The verifier signs its decision about a model key. */
export async function signAttestation(verifier: Identity, decision: { modelKey: string; adult: boolean; now?: number }): Promise<AgeAttestation> {
  decodePublicKey(decision?.modelKey, 'model key');
  const adult = asBool(decision.adult, 'adult');
  const issuedAt = resolveNow(decision.now);
  const fields = attestationFields(decision.modelKey, adult, issuedAt, verifier?.publicKey);
  const signature = await signStatement('ageAttestation', fields, verifier.secretKey);
  return { v: 1, modelKey: decision.modelKey, adult, issuedAt, verifierKey: verifier.publicKey, signature };
}

/**
 * Verify an attestation received from anywhere: signed by one of
 * `trustedVerifierKeys`, not from the future, and (by default) saying adult.
 * Errors: CRYPTO_UNTRUSTED_VERIFIER, CRYPTO_BAD_SIGNATURE, CRYPTO_NOT_ADULT,
 * CRYPTO_ATTESTATION_EXPIRED, CRYPTO_BAD_ENCODING.
 */
export async function verifyAttestation(attestation: unknown, trustedVerifierKeys: readonly string[], now?: number,
  options: VerifyAttestationOptions = {}): Promise<AgeAttestation> {
  const a = asObject(attestation, 'attestation');
  if (a.v !== 1) throw new CryptoError('CRYPTO_BAD_ENCODING', 'attestation: unknown version');
  const modelKey = asString(a.modelKey, 'modelKey', 43);
  decodePublicKey(modelKey, 'model key');
  const verifierKey = asString(a.verifierKey, 'verifierKey', 43);
  const adult = asBool(a.adult, 'adult');
  const issuedAt = asInt(a.issuedAt, 'issuedAt');
  const signature = asString(a.signature, 'signature', 86);
  if (!Array.isArray(trustedVerifierKeys) || !trustedVerifierKeys.includes(verifierKey)) {
    throw new CryptoError('CRYPTO_UNTRUSTED_VERIFIER', 'attestation is not from a configured verifier');
  }
  await verifyStatement('ageAttestation', attestationFields(modelKey, adult, issuedAt, verifierKey), signature, verifierKey);
  const t = resolveNow(now);
  if (issuedAt > t + (options.skewSeconds ?? 300)) throw new CryptoError('CRYPTO_ATTESTATION_EXPIRED', 'attestation issued in the future');
  if (options.maxAgeSeconds !== undefined && t - issuedAt > options.maxAgeSeconds) {
    throw new CryptoError('CRYPTO_ATTESTATION_EXPIRED', 'attestation is too old');
  }
  if (options.modelKey !== undefined && options.modelKey !== modelKey) {
    throw new CryptoError('CRYPTO_STATEMENT_MISMATCH', 'attestation is about another model');
  }
  if ((options.requireAdult ?? true) && !adult) throw new CryptoError('CRYPTO_NOT_ADULT', 'verifier did not confirm the model is an adult');
  return { v: 1, modelKey, adult, issuedAt, verifierKey, signature };
}

function attestationFields(modelKey: string, adult: boolean, issuedAt: number, verifierKey: string) {
  return { modelKey, adult, issuedAt, verifierKey };
}

function toCurvePublic(s: Sodium, edPk: Uint8Array): Uint8Array {
  try {
    return s.crypto_sign_ed25519_pk_to_curve25519(edPk);
  } catch (err) {
    throw new CryptoError('CRYPTO_BAD_KEY', 'not a valid Ed25519 public key', { cause: err });
  }
}

function checkMime(mime: unknown): string {
  const m = asString(mime, 'mimeType', 100);
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i.test(m)) throw new CryptoError('CRYPTO_BAD_ENCODING', 'mimeType: expected type/subtype');
  return m;
}

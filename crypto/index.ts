/**
 * Public API of the crypto module (browser + Node).
 */
export { PlatformError, isPlatformError } from './errors.ts';
export { CryptoError, CRYPTO_ERROR_CODES, isCryptoError, type CryptoErrorCode } from './crypto-error.ts';
export { randomBytes, ready, type Sodium } from './sodium.ts';
export { concatBytes, fromBase64url, fromUtf8, isBase64url, toBase64url, utf8 } from './encoding.ts';
export { CONTEXTS, type StatementKind } from './statement.ts';
export {
  createIdentity, exportIdentity, identityFromSecretKey, importIdentity, pseudonymOf,
  type ExportOptions, type Identity,
} from './identity.ts';
export {
  createChallenge, deriveSecret, issueSessionToken, MemoryChallengeStore, signChallenge, verifyChallengeResponse,
  verifySessionToken,
  type ChallengeOptions, type ChallengeResponse, type ConsumeNonce, type LoginChallenge, type SessionClaims,
  type VerifiedLogin, type VerifyChallengeOptions,
} from './login.ts';
export {
  generateDataKey, Keyring, keyIdOf, MAX_RECORD_BYTES, openRecord, openRecordText, sealRecord,
  type MasterKey, type RecordBinding,
} from './records.ts';
export { MemoryDataKeyStore, Vault, type DataKeyStore, type RewrapReport } from './vault.ts';
export {
  MAX_DOCUMENT_BYTES, openDocument, sealDocument, signAttestation, verifyAttestation,
  type AgeAttestation, type OpenedDocument, type SealDocumentOptions, type VerifyAttestationOptions,
} from './age.ts';
export {
  checkVerifierAuthorization, checkVerifierAuthorizationSync, parseVerifierAuthorization, verifierAuthorization,
  verifierRequestMessage, VERIFIER_AUTH_SCHEME, VERIFIER_REQUEST_CONTEXT, VERIFIER_REQUEST_SKEW,
  type VerifierAuthorization,
} from './verifier-auth.ts';
export {
  fingerprintsEqual, normalizeFingerprint, signFingerprint, verifyFingerprint,
  type ExpectedFingerprint, type FingerprintStatement, type SignedFingerprint,
} from './fingerprint.ts';

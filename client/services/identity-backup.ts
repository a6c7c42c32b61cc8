/**
 * The identity backup file: this browser's identities (watching and performing), each encrypted under the
 * person's passphrase with crypto/identity.ts `exportIdentity` (Argon2id + secretbox), in one JSON file to keep
 * anywhere and restore on another device. Pure functions; every failure is a ClientError with a code that
 * messages.ts puts into words (WRONG_PASSPHRASE, BACKUP_INVALID, PASSPHRASE_TOO_SHORT).
 */
import type { Identity } from '../../crypto/identity.ts';
import { isPlatformError } from '../../crypto/errors.ts';
import type { Role } from '../../signaling/protocol.ts';
import { ClientError } from '../errors.ts';

export const BACKUP_KIND = 'livecam-identity-backup';
/** crypto/identity.ts refuses shorter passphrases. */
export const MIN_PASSPHRASE = 8;
/** A backup holds at most two small blobs: anything much larger is not one of ours (and not worth parsing). */
const MAX_BACKUP_CHARS = 16_384;
const ROLES: readonly Role[] = ['client', 'model'];

export type IdentitySet = Partial<Record<Role, Identity>>;

/** A new passphrase, typed twice: long enough and the same both times, else PASSPHRASE_TOO_SHORT. */
export function checkNewPassphrase(passphrase: string, repeated: string): string {
  if ([...passphrase].length < MIN_PASSPHRASE || passphrase !== repeated) {
    throw new ClientError('PASSPHRASE_TOO_SHORT', 'passphrase too short or the two entries differ');
  }
  return passphrase;
}

/** Seals one identity under `passphrase` (the same blob the locked store keeps). */
export async function sealIdentity(identity: Identity, passphrase: string): Promise<string> {
  const { exportIdentity } = await import('../../crypto/identity.ts');
  return exportIdentity(identity, passphrase);
}

/** Opens one sealed identity; a wrong passphrase is WRONG_PASSPHRASE, a damaged blob BACKUP_INVALID. */
export async function openIdentity(sealed: string, passphrase: string): Promise<Identity> {
  const { importIdentity } = await import('../../crypto/identity.ts');
  if ([...passphrase].length < MIN_PASSPHRASE) throw new ClientError('WRONG_PASSPHRASE', 'passphrase shorter than any we accept');
  try {
    return await importIdentity(sealed, passphrase);
  } catch (cause) {
    if (isPlatformError(cause, 'CRYPTO_BAD_PASSPHRASE')) throw new ClientError('WRONG_PASSPHRASE', 'wrong passphrase', { cause });
    throw new ClientError('BACKUP_INVALID', 'sealed identity does not open', { cause });
  }
}

/** The backup file's text for `identities` (at least one). */
export async function createBackup(identities: IdentitySet, passphrase: string): Promise<string> {
  const sealed: Partial<Record<Role, string>> = {};
  for (const role of ROLES) {
    const identity = identities[role];
    if (identity) sealed[role] = await sealIdentity(identity, passphrase);
  }
  if (Object.keys(sealed).length === 0) throw new ClientError('NOT_FOUND', 'no identity to back up');
  return JSON.stringify({ kind: BACKUP_KIND, v: 1, identities: sealed }, null, 2);
}

/** The identities in a backup file's text, opened with `passphrase`. */
export async function readBackup(text: string, passphrase: string): Promise<IdentitySet> {
  const sealed = parseBackup(text);
  const out: IdentitySet = {};
  for (const role of ROLES) {
    const blob = sealed[role];
    if (blob !== undefined) out[role] = await openIdentity(blob, passphrase);
  }
  return out;
}

/** The sealed blobs of a backup file, checked for shape only (no passphrase needed). */
export function parseBackup(text: string): Partial<Record<Role, string>> {
  const invalid = (why: string) => new ClientError('BACKUP_INVALID', `identity backup: ${why}`);
  if (typeof text !== 'string' || text.length > MAX_BACKUP_CHARS) throw invalid('not a small text file');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('not JSON');
  }
  const o = parsed as { kind?: unknown; v?: unknown; identities?: unknown } | null;
  if (typeof o !== 'object' || o === null || o.kind !== BACKUP_KIND || o.v !== 1) throw invalid('unknown kind or version');
  const ids = o.identities as Record<string, unknown> | null;
  if (typeof ids !== 'object' || ids === null || Array.isArray(ids)) throw invalid('no identities');
  const out: Partial<Record<Role, string>> = {};
  for (const [role, blob] of Object.entries(ids)) {
    if (!(ROLES as readonly string[]).includes(role) || typeof blob !== 'string') throw invalid(`unexpected entry ${role.slice(0, 20)}`);
    out[role as Role] = blob;
  }
  if (Object.keys(out).length === 0) throw invalid('no identities');
  return out;
}

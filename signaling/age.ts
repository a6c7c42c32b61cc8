/**
 * Age verification, server side. The model's browser seals its document to a
 * configured verifier's key (crypto/age.ts `sealDocument`); signaling keeps the
 * sealed blob (ciphertext it cannot open) only until the verifier has posted
 * its decision, or `ageDocumentTtlMs` passes; afterwards it keeps only the
 * verifier's signed attestation. With AGE_VERIFICATION=required, `show:open`
 * needs a valid attestation saying adult, from a key in VERIFIER_PUBLIC_KEYS.
 */
import { verifyAttestation, type AgeAttestation } from '../crypto/age.ts';
import type { Ctx } from './context.ts';
import { asWireError, fail, isInputFault } from './errors.ts';
import type { AgeStatus } from './protocol.ts';

export interface PendingDocument { sealedDocument: string; verifierKey: string; submittedAt: number }

/** The issue time of a stored attestation (also of one no longer trusted: time still only moves forward). */
function storedIssuedAt(raw: string): number {
  const t = (JSON.parse(raw) as { issuedAt?: unknown }).issuedAt;
  return typeof t === 'number' ? t : Number.POSITIVE_INFINITY;
}

async function storedAttestation(ctx: Ctx, model: string): Promise<AgeAttestation | null> {
  const raw = await ctx.store.getAttestation(model);
  if (!raw) return null;
  try {
    return await verifyAttestation(JSON.parse(raw), ctx.config.VERIFIER_PUBLIC_KEYS, undefined, {
      modelKey: model, requireAdult: false,
      ...(ctx.tuning.attestationMaxAgeSeconds ? { maxAgeSeconds: ctx.tuning.attestationMaxAgeSeconds } : {}),
    });
  } catch (err) {
    if (isInputFault(err)) return null; // no longer valid, e.g. the verifier's key was removed from the configuration
    throw err;
  }
}

/** Throws AGE_VERIFICATION_REQUIRED unless verification is off or the model holds a valid adult attestation. */
export async function requireAdult(ctx: Ctx, model: string): Promise<void> {
  if (ctx.config.AGE_VERIFICATION === 'off') return;
  const a = await storedAttestation(ctx, model);
  if (!a?.adult) fail('AGE_VERIFICATION_REQUIRED', 'a verifier must confirm your age before you go live');
}

export async function ageStatus(ctx: Ctx, model: string): Promise<AgeStatus> {
  return (await ageStatusDetail(ctx, model)).status;
}

/**
 * The status with its end (ms since the epoch): when a verified model must verify again
 * (AGE_ATTESTATION_MAX_AGE_DAYS), or when a pending document is deleted unread (AGE_DOCUMENT_TTL_HOURS).
 */
export async function ageStatusDetail(ctx: Ctx, model: string): Promise<{ status: AgeStatus; expiresAt?: number }> {
  const a = await storedAttestation(ctx, model);
  if (a) {
    const maxAge = ctx.tuning.attestationMaxAgeSeconds;
    return { status: a.adult ? 'verified' : 'rejected', ...(a.adult && maxAge ? { expiresAt: (a.issuedAt + maxAge) * 1000 } : {}) };
  }
  const pending = await ctx.store.pendingAgeDocument(model);
  if (pending === null) return { status: 'none' };
  const { submittedAt } = JSON.parse(pending) as PendingDocument;
  return { status: 'pending', expiresAt: submittedAt * 1000 + ctx.tuning.ageDocumentTtlMs };
}

/**
 * Keeps a model's sealed document for the verifier. Each identity has at most one (a new one replaces it), and
 * the queue holds at most `maxPendingAgeDocuments` in all: identities are free, so without a total a script
 * could park gigabytes of ciphertext for a week.
 */
export async function submitDocument(ctx: Ctx, model: string, sealedDocument: string, verifierKey: string): Promise<void> {
  if (!ctx.config.VERIFIER_PUBLIC_KEYS.includes(verifierKey)) fail('BAD_REQUEST', 'verifierKey: not a configured verifier');
  if (!await ctx.store.hasPendingAgeDocument(model) && await ctx.store.pendingAgeDocumentCount() >= ctx.tuning.maxPendingAgeDocuments
    && await ctx.store.pendingAgeDocumentCount(true) >= ctx.tuning.maxPendingAgeDocuments) {
    fail('RATE_LIMITED', 'the verifier\'s queue is full: try again later');
  }
  const pending: PendingDocument = { sealedDocument, verifierKey, submittedAt: Math.floor(Date.now() / 1000) };
  await ctx.store.putAgeDocument(model, JSON.stringify(pending), ctx.tuning.ageDocumentTtlMs);
}

/** Most documents one `GET /verifier/pending` answers, and the most bytes of documents (at least one document). */
export const PENDING_PAGE_MAX = 50;
const PENDING_PAGE_BYTES = 16 * 1024 * 1024;

/** One page of the documents waiting for one verifier, by model key, after `after`; `next` continues it (null: done). */
export async function pendingFor(ctx: Ctx, verifierKey: string, after = '', limit = PENDING_PAGE_MAX): Promise<{
  documents: { modelKey: string; sealedDocument: string; submittedAt: number }[]; next: string | null;
}> {
  const documents = [];
  let bytes = 0;
  for (const model of await ctx.store.pendingAgeModels(after)) {
    const value = await ctx.store.pendingAgeDocument(model);
    if (value === null) continue;
    const p = JSON.parse(value) as PendingDocument;
    if (p.verifierKey !== verifierKey) continue;
    if (documents.length === limit || (documents.length > 0 && bytes + p.sealedDocument.length > PENDING_PAGE_BYTES)) {
      return { documents, next: documents[documents.length - 1]!.modelKey };
    }
    bytes += p.sealedDocument.length;
    documents.push({ modelKey: model, sealedDocument: p.sealedDocument, submittedAt: p.submittedAt });
  }
  return { documents, next: null };
}

/**
 * Records a verifier's decision and deletes the document. Returns the model's new status. Decisions only move
 * forward in time: one is refused (CONFLICT) unless issued later than the one stored, so a replayed old approval
 * cannot replace a later rejection (compare-and-set: two posts at once cannot both win).
 */
export async function recordAttestation(ctx: Ctx, input: unknown, signer: string): Promise<{ modelKey: string; status: AgeStatus }> {
  const a = await asWireError('BAD_REQUEST', 'attestation', () => verifyAttestation(input, ctx.config.VERIFIER_PUBLIC_KEYS, undefined, { requireAdult: false }));
  if (a.verifierKey !== signer) fail('FORBIDDEN', 'attestation: signed by another verifier than this request');
  const value = JSON.stringify(a);
  for (;;) {
    const current = await ctx.store.getAttestation(a.modelKey);
    if (current !== null && !(a.issuedAt > storedIssuedAt(current))) {
      fail('CONFLICT', 'attestation: a decision issued at the same time or later is already recorded');
    }
    if (await ctx.store.replaceAttestation(a.modelKey, current, value)) break;
  }
  await ctx.store.dropAgeDocument(a.modelKey);
  const status: AgeStatus = a.adult ? 'verified' : 'rejected';
  ctx.io.to(`id:${a.modelKey}`).emit('age:status', { status });
  return { modelKey: a.modelKey, status };
}

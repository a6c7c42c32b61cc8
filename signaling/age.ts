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
  const a = await storedAttestation(ctx, model);
  if (a) return a.adult ? 'verified' : 'rejected';
  return (await ctx.store.hasPendingAgeDocument(model)) ? 'pending' : 'none';
}

export async function submitDocument(ctx: Ctx, model: string, sealedDocument: string, verifierKey: string): Promise<void> {
  if (!ctx.config.VERIFIER_PUBLIC_KEYS.includes(verifierKey)) fail('BAD_REQUEST', 'verifierKey: not a configured verifier');
  const pending: PendingDocument = { sealedDocument, verifierKey, submittedAt: Math.floor(Date.now() / 1000) };
  await ctx.store.putAgeDocument(model, JSON.stringify(pending), ctx.tuning.ageDocumentTtlMs);
}

/** Documents waiting for one verifier. */
export async function pendingFor(ctx: Ctx, verifierKey: string): Promise<{ modelKey: string; sealedDocument: string; submittedAt: number }[]> {
  const out = [];
  for (const { model, value } of await ctx.store.pendingAgeDocuments()) {
    const p = JSON.parse(value) as PendingDocument;
    if (p.verifierKey === verifierKey) out.push({ modelKey: model, sealedDocument: p.sealedDocument, submittedAt: p.submittedAt });
  }
  return out;
}

/** Records a verifier's decision and deletes the document. Returns the model's new status. */
export async function recordAttestation(ctx: Ctx, input: unknown): Promise<{ modelKey: string; status: AgeStatus }> {
  const a = await asWireError('BAD_REQUEST', 'attestation', () => verifyAttestation(input, ctx.config.VERIFIER_PUBLIC_KEYS, undefined, { requireAdult: false }));
  await ctx.store.putAttestation(a.modelKey, JSON.stringify(a));
  await ctx.store.dropAgeDocument(a.modelKey);
  const status: AgeStatus = a.adult ? 'verified' : 'rejected';
  ctx.io.to(`id:${a.modelKey}`).emit('age:status', { status });
  return { modelKey: a.modelKey, status };
}

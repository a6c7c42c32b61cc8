/**
 * The verifier CLI's side of the signaling server's verifier API
 * (signaling/account.ts): GET /verifier/pending with the signed header of
 * crypto/verifier-auth.ts (page by page), POST /verifier/attestations with the same header. Every failure is a
 * VerifierServerError carrying the server's JSON error code.
 */
import type { AgeAttestation } from '../../crypto/age.ts';
import type { Identity } from '../../crypto/identity.ts';
import { isBase64url } from '../../crypto/encoding.ts';
import { verifierAuthorization } from '../../crypto/verifier-auth.ts';
import { VerifierServerError } from './errors.ts';

const PENDING_PATH = '/verifier/pending';
const ATTESTATIONS_PATH = '/verifier/attestations';
const HTTP_TIMEOUT_MS = 60_000;

/** A document as the server lists it, and as `fetch` writes it for `decide --in`. */
export interface PendingDocument { modelKey: string; sealedDocument: string; submittedAt: number }

async function request(server: string, path: string, init: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${server}${path}`, { ...init, redirect: 'error', signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  } catch (cause) {
    const inner = (cause as { cause?: { code?: unknown; message?: unknown } })?.cause;
    const why = String(inner?.code ?? inner?.message ?? (cause as Error)?.message ?? 'network error');
    throw new VerifierServerError('UNREACHABLE', `cannot reach ${server} (${why})`, { cause });
  }
  const text = await res.text().catch(() => '');
  let body: unknown;
  try { body = JSON.parse(text); } catch { body = undefined; }
  if (!res.ok) {
    const e = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const code = typeof e?.code === 'string' && /^[A-Z0-9_]{1,64}$/.test(e.code) ? e.code : 'HTTP_ERROR';
    const message = typeof e?.message === 'string' ? e.message.slice(0, 300) : res.statusText;
    throw new VerifierServerError(code, `${message} (HTTP ${res.status} from ${path})`);
  }
  if (body === undefined) throw new VerifierServerError('BAD_RESPONSE', `${path}: the server did not answer JSON`);
  return body;
}

/** The documents waiting for this verifier, every page, each checked before its model key becomes a file name. */
export async function listPending(server: string, id: Identity): Promise<PendingDocument[]> {
  const out: PendingDocument[] = [];
  let after = '';
  for (;;) {
    const body = await request(server, `${PENDING_PATH}${after ? `?after=${after}` : ''}`, {
      headers: { authorization: await verifierAuthorization(id, 'GET', PENDING_PATH), accept: 'application/json' },
    });
    out.push(...pendingPage(body));
    const next = (body as { next?: unknown }).next;
    if (next === null || next === undefined) return out;
    // The cursor is a model key that only moves forward: anything else would loop.
    if (!isBase64url(next, 32) || (next as string) <= after) throw new VerifierServerError('BAD_RESPONSE', `${PENDING_PATH}: bad next page`);
    after = next as string;
  }
}

function pendingPage(body: unknown): PendingDocument[] {
  const docs = (body as { documents?: unknown })?.documents;
  if (!Array.isArray(docs)) throw new VerifierServerError('BAD_RESPONSE', `${PENDING_PATH}: no documents list`);
  return docs.map((d: unknown, i) => {
    const o = (typeof d === 'object' && d !== null ? d : {}) as Record<string, unknown>;
    // The model key becomes a file name: only a real key may.
    if (!isBase64url(o.modelKey, 32) || typeof o.sealedDocument !== 'string' || o.sealedDocument === ''
      || !Number.isSafeInteger(o.submittedAt) || (o.submittedAt as number) < 0) {
      throw new VerifierServerError('BAD_RESPONSE', `${PENDING_PATH}: document ${i} is malformed`);
    }
    return { modelKey: o.modelKey as string, sealedDocument: o.sealedDocument, submittedAt: o.submittedAt as number };
  });
}

/** Submits a signed decision, in a request signed by the verifier `id`; returns the server's status for the model. */
export async function postAttestation(server: string, id: Identity, attestation: AgeAttestation): Promise<{ modelKey: string; status: string }> {
  const body = await request(server, ATTESTATIONS_PATH, {
    method: 'POST',
    headers: { authorization: await verifierAuthorization(id, 'POST', ATTESTATIONS_PATH), 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ attestation }),
  }) as { modelKey?: unknown; status?: unknown };
  return { modelKey: String(body.modelKey ?? attestation.modelKey), status: String(body.status ?? 'unknown') };
}

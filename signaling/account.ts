/**
 * Profile records (ciphertext only), account deletion (crypto-shredding) and
 * the age-verification endpoints.
 *
 * Verifier HTTP API (mounted at /verifier):
 * Every route needs the header of verifier-auth.ts `verifierAuthorization`
 * (`LiveCam-Verifier <verifierKey>.<unixSeconds>.<signature>`, ±120 s) signed for its method and path.
 * - `GET /verifier/pending[?after=<modelKey>]`: one page, `{ documents: [{ modelKey, sealedDocument,
 *   submittedAt }], next }` for that verifier, at most age.ts PENDING_PAGE_MAX documents (and 16 MiB);
 *   `next` (a model key, or null at the end) is the `after` of the next page.
 * - `POST /verifier/attestations` with JSON `{ attestation }` (crypto/age.ts `signAttestation`) by the
 *   same verifier as the header. Only a decision issued later than the stored one replaces it (else
 *   CONFLICT). The sealed document is deleted; the model is told its status.
 * - Errors, as on every HTTP route: `{ error: { code, message } }` (http-errors.ts).
 */
import express from 'express';
import { rooms, type Ctx, type Handlers } from './context.ts';
import { AGE_DOCUMENT_PATH, LIMITS } from './protocol.ts';
import { bodyErrors, sendError, sendThrown } from './http-errors.ts';
import { ageStatus, ageStatusDetail, pendingFor, recordAttestation, submitDocument } from './age.ts';
import { cancelModelGrace, endShow } from './presence.ts';
import { endPrivate } from './private.ts';
import { checkVerifierAuthorization } from './verifier-auth.ts';

export { VERIFIER_REQUEST_CONTEXT } from './verifier-auth.ts';

export function accountHandlers(ctx: Ctx): Handlers {
  return {
    'profile:set': {
      access: 'any',
      async handle(socket, p) {
        await ctx.records.setProfile(socket.data.key, p.fields);
        return {};
      },
    },
    'profile:get': {
      access: 'any',
      async handle(socket) {
        return { fields: await ctx.records.getProfile(socket.data.key) };
      },
    },
    'account:delete': {
      access: 'any',
      async handle(socket) {
        const key = socket.data.key;
        await ctx.auth.revokeAll(key); // first: no token of the identity resumes while the rest is removed
        const presence = await ctx.store.getPresence(key);
        if (presence?.showId) await endShow(ctx, presence.showId, 'deleted');
        for (const id of await ctx.store.privateSessionsOf(key)) await endPrivate(ctx, id, 'deleted', key);
        await ctx.records.forget(key);
        await ctx.store.deleteIdentity(key);
        ctx.localModels.delete(key);
        cancelModelGrace(ctx, key);
        ctx.io.to(rooms.directory).emit('directory:update', {
          key, pseudonym: socket.data.pseudonym, status: 'offline', pricePerMinute: '0', minMinutes: 1, showId: null, viewers: 0,
        });
        ctx.logger.info({ who: socket.data.pseudonym }, 'identity deleted');
        // After the ack has gone out, every socket of the identity is closed.
        ctx.timers.set(`deleted:${key}`, 50, () => ctx.io.in(rooms.identity(key)).disconnectSockets(true));
        return {};
      },
    },
    'age:submit': {
      access: 'model',
      async handle(socket, p) {
        await ctx.limits.ageDocument(socket);
        await submitDocument(ctx, socket.data.key, p.sealedDocument, p.verifierKey);
        return { status: await ageStatus(ctx, socket.data.key) };
      },
    },
    'age:status': {
      access: 'model',
      async handle(socket) {
        return {
          ...(await ageStatusDetail(ctx, socket.data.key)),
          required: ctx.config.AGE_VERIFICATION === 'required', verifierKeys: ctx.config.VERIFIER_PUBLIC_KEYS,
        };
      },
    },
  };
}

/** `POST /age/documents` (see protocol.ts AGE_DOCUMENT_PATH): a sealed document too big for a socket frame. */
export function ageUploadRouter(ctx: Ctx): express.Router {
  const router = express.Router();
  router.post(AGE_DOCUMENT_PATH, express.raw({ type: 'application/octet-stream', limit: LIMITS.ageDocumentMaxBytes }), async (req, res) => {
    try {
      const m = /^Bearer (\S{1,256})$/.exec(req.get('authorization') ?? '');
      if (!m) return sendError(res, 'UNAUTHENTICATED', 'session token required');
      const key = await ctx.auth.verify(m[1]!);
      const verifierKey = String(req.query.verifierKey ?? '');
      if (!Buffer.isBuffer(req.body) || req.body.length === 0) return sendError(res, 'BAD_REQUEST', 'expected the sealed document as application/octet-stream');
      await ctx.limits.ageDocument(req);
      await submitDocument(ctx, key, req.body.toString('base64url'), verifierKey);
      res.json({ ok: true, status: await ageStatus(ctx, key) });
    } catch (err) {
      sendThrown(res, err, ctx.logger, 'age document upload failed');
    }
  });
  router.use(AGE_DOCUMENT_PATH, bodyErrors(ctx.logger, 'malformed request', 'document too large'));
  return router;
}

export function verifierRouter(ctx: Ctx): express.Router {
  const router = express.Router();
  const signer = (req: express.Request, path: string) =>
    checkVerifierAuthorization(req.get('authorization'), req.method, path, ctx.config.VERIFIER_PUBLIC_KEYS);
  router.get('/pending', async (req, res) => {
    const key = signer(req, '/verifier/pending');
    if (!key) return sendError(res, 'UNAUTHENTICATED', 'verifier signature required');
    const after = req.query.after ?? '';
    if (typeof after !== 'string' || !/^[A-Za-z0-9_-]{0,43}$/.test(after)) return sendError(res, 'BAD_REQUEST', 'after: expected a model key');
    try {
      res.json(await pendingFor(ctx, key, after));
    } catch (err) {
      sendThrown(res, err, ctx.logger, 'verifier pending failed');
    }
  });
  router.post('/attestations', (req, res, next) => {
    // Checked before the body is read: an unsigned request costs no parsing.
    const key = signer(req, '/verifier/attestations');
    if (!key) return sendError(res, 'UNAUTHENTICATED', 'verifier signature required');
    res.locals.verifierKey = key;
    next();
  }, express.json({ limit: '8kb' }), async (req, res) => {
    try {
      const body = req.body as { attestation?: unknown } | undefined;
      res.json({ ok: true, ...(await recordAttestation(ctx, body?.attestation, res.locals.verifierKey as string)) });
    } catch (err) {
      sendThrown(res, err, ctx.logger, 'attestation failed');
    }
  });
  router.use(bodyErrors(ctx.logger, 'malformed request body'));
  return router;
}

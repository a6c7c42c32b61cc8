/**
 * The origin's side of the relay between SFU hosts, mounted by
 * createSfuRouter: `POST /relay/:showId` with a `relay` token (signed by the
 * SFU token key the hosts share) opens a relay feed of a show held here and
 * answers its offer (201, JSON: UDP port, session id, video codec). The edge
 * then says HELLO to that port from the address the media should go to.
 */
import express, { type Response, type Router } from 'express';
import type { SfuEngine } from '../engine.ts';
import { SfuError } from '../errors.ts';
import { isValidShowId, verifySfuToken } from '../tokens.ts';

export interface RelayRouterOptions {
  engine: SfuEngine;
  /** The SFU token key shared by the hosts. */
  secret: Uint8Array;
}

function fail(res: Response, err: unknown): void {
  const e = err instanceof SfuError ? err : new SfuError('SFU_INTERNAL', 'internal SFU error', { cause: err });
  res.status(e.status).json({ error: e.toJSON() });
}

export function createRelayRouter(options: RelayRouterOptions): Router {
  const router = express.Router();
  router.post('/relay/:showId', async (req, res) => {
    try {
      const showId = String(req.params.showId ?? '');
      if (!isValidShowId(showId)) throw new SfuError('SFU_UNKNOWN_SHOW', 'no such show');
      const h = req.headers.authorization;
      const m = typeof h === 'string' ? /^Bearer\s+(\S+)$/i.exec(h.trim()) : null;
      if (!m) throw new SfuError('SFU_UNAUTHORIZED', 'expected an Authorization: Bearer relay token');
      verifySfuToken(options.secret, m[1]!, 'relay', showId);
      if (!options.engine.hasShow(showId) && !options.engine.hasRelay(showId)) throw new SfuError('SFU_UNKNOWN_SHOW', 'this host does not hold the show');
      const offer = await options.engine.openRelay(showId);
      res.status(201).json(offer);
    } catch (err) {
      fail(res, err);
    }
  });
  return router;
}

/**
 * The edge's side of the origin/edge relay between SFU hosts. A WHEP request
 * for a show this host does not hold, whose token names the show's origin
 * host (`origin` claim, sfu/tokens.ts), pulls the show from there once: a
 * `POST {origin}/relay/:showId` with a `relay` token signed by the shared SFU
 * token key answers a relay offer (UDP port, session id, video codec), and
 * the engine attaches a relayed copy fed from it (relay/RelaySource.ts).
 * Every later viewer of the show on this host is served from that copy; it
 * ends with its last viewer, or when the origin's show ends.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { SessionAnswer, SfuEngine, ViewRequest } from '../engine.ts';
import { SfuError } from '../errors.ts';
import { mintSfuToken } from '../tokens.ts';
import { checkRelayOffer } from './RelaySource.ts';

export interface EdgeRelaysOptions {
  engine: SfuEngine;
  /** The SFU token key shared by the hosts: signs the relay request. */
  secret: Uint8Array;
  /** How long the origin has to answer the relay request, ms (default 5000). */
  timeoutMs?: number;
}

/** An offer is a few hundred bytes: anything much longer is not one. */
const MAX_OFFER_BYTES = 4096;

export class EdgeRelays {
  readonly #options: EdgeRelaysOptions;
  /** Relays being pulled, per show: concurrent first viewers share one. */
  readonly #pulling = new Map<string, Promise<void>>();
  /** Relays pulled from origins since start. */
  pulled = 0;

  constructor(options: EdgeRelaysOptions) {
    this.#options = options;
  }

  /** Adds a viewer of a show held by `origin`, pulling the show from there first when this host has no copy of it. */
  async view(request: ViewRequest, origin: string): Promise<SessionAnswer> {
    const { engine } = this.#options;
    for (let attempt = 0; ; attempt++) {
      if (!engine.hasShow(request.showId) && !engine.hasRelay(request.showId)) await this.#pull(request.showId, origin);
      try {
        return await engine.view(request);
      } catch (err) {
        // The copy ended between the check and the view (its last viewer had just left): pull it again once.
        if (attempt > 0 || (err as { code?: string }).code !== 'SFU_UNKNOWN_SHOW') throw err;
      }
    }
  }

  #pull(showId: string, origin: string): Promise<void> {
    let pull = this.#pulling.get(showId);
    if (!pull) {
      pull = this.#attach(showId, origin).finally(() => this.#pulling.delete(showId));
      this.#pulling.set(showId, pull);
    }
    return pull;
  }

  async #attach(showId: string, origin: string): Promise<void> {
    const { engine, secret } = this.#options;
    const token = mintSfuToken(secret, { kind: 'relay', showId, sub: 'edge', ttlSeconds: 60 });
    const url = `${origin.replace(/\/+$/, '')}/relay/${encodeURIComponent(showId)}`;
    const { status, body } = await post(url, token, this.#options.timeoutMs ?? 5000);
    if (status === 404) throw new SfuError('SFU_UNKNOWN_SHOW', 'the origin does not hold this show');
    if (status !== 201) throw new SfuError('SFU_UNAVAILABLE', `the show's origin SFU host refused the relay (${status})`);
    let offer: unknown;
    try { offer = JSON.parse(body); } catch { offer = undefined; }
    const host = new URL(origin).hostname.replace(/^\[(.*)\]$/, '$1');
    if (engine.hasShow(showId) || engine.hasRelay(showId)) return;
    await engine.attachRelay(showId, { ...checkRelayOffer(offer), host });
    this.pulled++;
  }
}

/**
 * POSTs to the origin with node:http(s) (already loaded by the server, where
 * the first `fetch` of a process would load undici on a viewer's join path);
 * no redirects followed, the answer capped at MAX_OFFER_BYTES.
 */
function post(url: string, token: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const unavailable = (cause?: unknown) => reject(new SfuError('SFU_UNAVAILABLE', 'the show\'s origin SFU host did not answer', { cause }));
    const request = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, {
      method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Length': 0 }, timeout: timeoutMs,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.length > MAX_OFFER_BYTES) { request.destroy(); reject(new SfuError('SFU_UNAVAILABLE', 'the origin\'s relay offer is too long')); }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', unavailable);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', unavailable);
    request.end();
  });
}

/**
 * Serves the built web client (client/dist) with the headers that keep the page private: a strict
 * Content-Security-Policy (our own scripts and styles only, no inline script or style, network only to this
 * origin), no referrer, no sniffing, no framing. The browser reaches the chain through this origin's RPC proxy
 * (chain-routes.ts), so `connect-src 'self'` covers signaling, WHIP/WHEP, the API and the chain alike.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import { fail } from './errors.ts';

export interface StaticClientOptions {
  /** The folder of the built client (client/dist). */
  root: string;
  /**
   * Further origins the page may connect to (SFU hosts with their own origin, `https://sfu1.example`): a list, or
   * a function asked again at most every few seconds (a cluster's hosts come and go: signaling/sfu-hosts.ts).
   */
  connectSources?: readonly string[] | (() => Promise<readonly string[]>);
}

/** How long a policy built from a `connectSources` function is reused. */
const POLICY_TTL_MS = 5_000;

/** A source list entry must be a bare origin: anything else could widen the policy (`*`, `'unsafe-eval'`, `;`). */
function checkedOrigin(source: string): string {
  const url = URL.canParse(source) ? new URL(source) : null;
  if (!url || !/^(https?|wss?):$/.test(url.protocol) || url.origin !== source.replace(/\/$/, '')) {
    fail('BAD_REQUEST', `CSP connect source must be an http(s)/ws(s) origin: ${source}`);
  }
  return url.origin;
}

/** The policy sent with every file of the client. */
export function contentSecurityPolicy(connectSources: readonly string[] = []): string {
  const connect = ["'self'", ...connectSources.map(checkedOrigin)];
  return [
    "default-src 'none'",
    // libsodium runs as WebAssembly: 'wasm-unsafe-eval' allows compiling it, not JavaScript eval.
    "script-src 'self' 'wasm-unsafe-eval'",
    // Lit's styles are constructed stylesheets (adoptedStyleSheets); no inline <style> or style="" is needed.
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob: mediastream:",
    `connect-src ${connect.join(' ')}`,
    "worker-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** The express middleware serving `root` with the policy; index.html is revalidated, hashed assets are cached. */
export function staticClient(options: StaticClientOptions): RequestHandler {
  const sources = options.connectSources;
  const fixed = contentSecurityPolicy(typeof sources === 'function' ? [] : sources);
  let origins: readonly string[] = [];
  let originsAt = 0;
  // A host whose URL is not a bare origin is left out of the policy (its media is then blocked), never widens it.
  const hostOrigins = async (): Promise<readonly string[]> => {
    if (typeof sources !== 'function') return [];
    if (Date.now() - originsAt >= POLICY_TTL_MS) {
      const listed = await sources().catch(() => [] as readonly string[]);
      origins = [...new Set(listed.flatMap((o) => { try { return [checkedOrigin(o)]; } catch { return []; } }))].sort();
      originsAt = Date.now();
    }
    return origins;
  };
  // The page's own origin is 'self' already: naming it again only when the page was reached by another name.
  const policyFor = async (req: Request): Promise<string> => {
    if (typeof sources !== 'function') return fixed;
    const self = `${req.protocol}://${req.headers.host ?? ''}`;
    return contentSecurityPolicy((await hostOrigins()).filter((o) => o !== self));
  };
  const setHeaders = (res: Response, path: string) => {
    res.setHeader('Content-Security-Policy', (res.locals.csp as string | undefined) ?? fixed);
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Permissions-Policy', 'camera=(self), microphone=(self), geolocation=(), payment=()');
    // File names under assets/ carry a content hash: a new build is new names, so they may be kept.
    res.setHeader('Cache-Control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
  };
  const serve = express.static(options.root, { index: 'index.html', setHeaders: setHeaders as never });
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') { next(); return; }
    void policyFor(req).then((csp) => { res.locals.csp = csp; serve(req, res, next); }, next);
  };
}

/**
 * Who may read `/metrics`: it tells how many shows, sessions and tips there are, so it is not public. With
 * METRICS_TOKEN set, a request needs `Authorization: Bearer <METRICS_TOKEN>`; unset, only a loopback client
 * that did not come through a proxy (no forwarding header: a reverse proxy on this machine connects from
 * loopback too) may read it, which keeps the one-machine demo and a local scraper working.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type express from 'express';

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;
const FORWARDED = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

const digest = (s: string) => createHash('sha256').update(s).digest();

/** True when `req` may read the metrics (see the module comment). */
export function metricsAllowed(req: express.Request, token: string | undefined): boolean {
  if (token !== undefined) {
    const m = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '');
    return m !== null && timingSafeEqual(digest(m[1]!), digest(token));
  }
  return LOOPBACK.test(req.socket.remoteAddress ?? '') && FORWARDED.every((h) => req.get(h) === undefined);
}

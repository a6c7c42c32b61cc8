/**
 * The app's routes: one page per hash route, each page's module imported only
 * when the route is first entered (so the directory never loads the studio's,
 * the wallet's or the call's code); the directory itself, the landing page,
 * comes with the shell (main.ts). Hash routes keep every URL served by the
 * one static index.html.
 */
import { html } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import type { RouteConfig } from '@lit-labs/router';

/** Wraps a page's dynamic import as a route `enter` hook (the page renders once its element is defined). */
const load = (page: () => Promise<unknown>) => async () => {
  await page();
  return true;
};

/** A model's identity key, base64url (43 characters). */
const KEY = ':key([A-Za-z0-9_\\-]{43})';

export const ROUTES: RouteConfig[] = [
  {
    path: '/',
    // Already loaded with the shell (main.ts): the landing page needs no second round trip.
    render: () => html`<live-directory></live-directory>`,
  },
  {
    path: `/watch/${KEY}`,
    enter: load(() => import('./pages/live-viewer.ts')),
    // Keyed: another model's link is a fresh page (its offer, chat and pins), not the last model's page reused.
    render: ({ key }) => keyed(key, html`<live-viewer .model=${key ?? ''}></live-viewer>`),
  },
  {
    path: '/studio',
    enter: load(() => import('./pages/live-studio.ts')),
    render: () => html`<live-studio></live-studio>`,
  },
  {
    path: '/wallet',
    enter: load(() => import('./pages/live-wallet.ts')),
    render: () => html`<live-wallet></live-wallet>`,
  },
  {
    path: `/wallet/${KEY}`,
    enter: load(() => import('./pages/live-wallet.ts')),
    render: ({ key }) => keyed(key, html`<live-wallet .model=${key ?? ''}></live-wallet>`),
  },
  {
    path: '/verify',
    enter: load(() => import('./pages/live-verify.ts')),
    render: () => html`<live-verify></live-verify>`,
  },
  {
    path: `/verify/${KEY}`,
    enter: load(() => import('./pages/live-verify.ts')),
    render: ({ key }) => keyed(key, html`<live-verify .verifier=${key ?? ''}></live-verify>`),
  },
  {
    path: '/earnings',
    enter: load(() => import('./pages/live-earnings.ts')),
    render: () => html`<live-earnings></live-earnings>`,
  },
  {
    path: '/account',
    enter: load(() => import('./pages/live-account.ts')),
    render: () => html`<live-account></live-account>`,
  },
  {
    path: '/rating',
    enter: load(() => import('./pages/live-rating.ts')),
    render: () => html`<live-rating></live-rating>`,
  },
];

/** Unknown hashes show the directory. */
export const FALLBACK = ROUTES[0]!;

/** `#/watch/abc` -> `/watch/abc`; an empty hash is `/`. */
export function hashPath(hash: string): string {
  const path = hash.replace(/^#/, '');
  return path.startsWith('/') ? path : '/';
}

/**
 * The WHIP/WHEP router of a host that is stopping (sfu/http.ts with sfu/drain.ts): `Location` and the `Link`
 * URLs are absolute from the host's public URL; once draining, each viewer's event stream says `reconnect`
 * with reason `draining` (the viewer's media keeps flowing until it leaves) and new sessions are refused.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { WeriftEngine } from '../../sfu/werift/WeriftEngine.ts';
import { createSfuRouter } from '../../sfu/http.ts';
import { SfuDrain } from '../../sfu/drain.ts';
import { mintSfuToken } from '../../sfu/tokens.ts';
import { exitSoon, waitFor } from './helpers/browser.ts';
import { publishWhip, type WeriftPublisherClient } from './helpers/weriftPublisher.ts';
import { joinWhep, type WeriftViewerClient } from './helpers/weriftViewer.ts';

const secret = new Uint8Array(32).fill(5);
const token = (kind: 'whip' | 'whep', showId: string) => mintSfuToken(secret, { kind, showId, sub: 'someone', ttlSeconds: 60 });
const t = suite('a draining SFU host');
let engine: WeriftEngine;
let server: ReturnType<express.Express['listen']>;
let url = '';
const drain = new SfuDrain();
let publisher: WeriftPublisherClient;
let viewer: WeriftViewerClient;

t.before(async () => {
  engine = new WeriftEngine({ listenIp: '127.0.0.1' });
  const app = express();
  let router: express.Router | null = null;
  app.use((req, res, next) => router!(req, res, next));
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The public URL as an operator may write it, with a trailing slash: joined without a double slash.
  router = createSfuRouter({ engine, secret, drain, publicUrl: `${url}/` });
});

t.after(async () => {
  await viewer?.close();
  await publisher?.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await engine.close();
  exitSoon();
});

t('Location is absolute; draining says reconnect to the viewer, keeps its media, refuses new sessions', async () => {
  publisher = await publishWhip(`${url}/whip/show-d`, token('whip', 'show-d'));
  await waitFor(() => engine.hasShow('show-d'), 10_000, 'the show');
  viewer = await joinWhep({ endpoint: `${url}/whep/show-d`, token: token('whep', 'show-d') });
  assert.match(viewer.location, new RegExp(`^${url}/whep/show-d/[0-9a-f]{32}$`));
  await waitFor(() => viewer.firstFrameMs() !== undefined, 15_000, 'the first frame');

  const events = await fetch(`${viewer.location}/events`);
  const reader = events.body!.getReader();
  let said = '';
  const read = async () => { said += new TextDecoder().decode((await reader.read()).value ?? new Uint8Array()); };
  await read();
  assert.not.match(said, /reconnect/, 'nothing to say before the drain');
  drain.start();
  drain.start(); // idempotent: said once
  await waitFor(async () => { await read(); return said.includes('event: reconnect'); }, 5_000, 'reconnect on the event stream');
  assert.match(said, /event: reconnect\ndata: \{"reason":"draining"\}\n\n/);
  assert.is(said.split('event: reconnect').length, 2, 'one reconnect');

  const packets = viewer.videoPackets();
  await waitFor(() => viewer.videoPackets() > packets + 10, 5_000, 'media still flowing to the viewer that was told to move');
  const refused = await fetch(`${url}/whep/show-d`, {
    method: 'POST', body: 'v=0\r\n', headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token('whep', 'show-d')}` },
  });
  assert.is(refused.status, 503);
  assert.is(((await refused.json()) as { error: { code: string } }).error.code, 'SFU_CLOSED');
  // An event stream opened after the drain began hears it at once.
  const late = (await fetch(`${viewer.location}/events`)).body!.getReader();
  let lateSaid = '';
  await waitFor(async () => { lateSaid += new TextDecoder().decode((await late.read()).value ?? new Uint8Array()); return lateSaid.includes('event: reconnect'); }, 5_000, 'reconnect on a late event stream');
  await late.cancel().catch(() => undefined);
  await reader.cancel().catch(() => undefined);
});

t.run();

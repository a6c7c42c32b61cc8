/**
 * Everything a private-call test in Chromium needs, real and on loopback: the dev chain, coturn, a signaling
 * server with short minutes, and a page origin that serves the services bundle (`/rig.html`, `/rig.js`) and a
 * JSON-RPC proxy to the chain (`/rpc`, same origin: the page talks to no one else).
 */
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { build } from 'esbuild';
import express from 'express';
import pino from 'pino';
import { startDevChain, type DevChain } from '../../contracts/devchain.ts';
import { loadConfig } from '../../signaling/config.ts';
import { createSignalingServer, type SignalingServer } from '../../signaling/server.ts';

import type { Tuning } from '../../signaling/context.ts';
import { startCoturn, type Coturn } from './coturn.ts';
import { freePort } from '../signaling/helpers.ts';

export interface CallRig {
  url: string;
  chain: DevChain;
  coturn: Coturn;
  server: SignalingServer;
  tuning: Partial<Tuning>;
  /** Stops the signaling server for good (the pages' sockets and keep-alive connections are cut). */
  signalingDown(): Promise<void>;
  /** Stops coturn (every relayed call loses its path) until `turnUp()`. */
  turnDown(): Promise<void>;
  /** Starts coturn again on the same port with the same secret. */
  turnUp(): Promise<void>;
  close(): Promise<void>;
}

const entry = fileURLToPath(new URL('../client/call-agents.ts', import.meta.url));
let bundle: Promise<string> | undefined;

function rigBundle(): Promise<string> {
  bundle ??= build({
    entryPoints: [entry], bundle: true, write: false, platform: 'browser', format: 'esm', target: 'es2022', logLevel: 'silent',
  }).then((r) => r.outputFiles[0]!.text);
  return bundle;
}

export async function startCallRig(tuning: Partial<Tuning> = {}): Promise<CallRig> {
  const [chain, firstTurn, js] = await Promise.all([startDevChain({ port: 0, demoAccounts: 8 }), startCoturn(), rigBundle()]);
  let coturn = firstTurn;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'silent',
    SESSION_SECRET: randomBytes(32).toString('base64'), MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    TURN_URLS: coturn.url, TURN_SECRET: coturn.secret,
  });
  const fullTuning: Partial<Tuning> = {
    privateRequestTimeoutMs: 15_000, peerDisconnectGraceMs: 5_000, eventsPerSecond: 1_000, ...tuning,
  };
  const server = await createSignalingServer({
    config, logger: pino({ level: 'silent' }), audience: url, tuning: fullTuning,
    chain: { provider: chain.provider, addresses: chain.addresses, chainId: chain.chainId, rpcUrl: chain.rpcUrl },
  });
  server.app.get('/rig.html', (_req, res) => {
    res.type('html').send('<!doctype html><meta charset="utf-8"><title>rig</title><body><script type="module" src="/rig.js"></script>');
  });
  server.app.get('/rig.js', (_req, res) => { res.type('js').send(js); });
  server.app.post('/rpc', express.text({ type: '*/*', limit: '1mb' }), async (req, res) => {
    const upstream = await fetch(chain.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: req.body as string });
    res.status(upstream.status).type('json').send(await upstream.text());
  });
  await server.listen(port, '127.0.0.1');
  let closed = false;
  return {
    url, chain, server, tuning: fullTuning,
    get coturn() { return coturn; },
    async signalingDown() {
      const closing = server.close();
      // Keep-alive HTTP connections of the pages would hold the close open.
      setTimeout(() => server.httpServer.closeAllConnections(), 50);
      await closing;
    },
    async turnDown() { await coturn.stop(); },
    async turnUp() { coturn = await startCoturn({ port: coturn.port, secret: coturn.secret }); },
    async close() {
      if (closed) return;
      closed = true;
      await server.close().catch(() => undefined);
      await coturn.stop();
      await chain.close();
    },
  };
}

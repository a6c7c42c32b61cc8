/**
 * One SFU host for the edge-relay test and bench:cluster: createSfu (worker
 * processes) behind createSfuRouter on 127.0.0.1, as signaling mounts it,
 * plus GET /test/stats (the engine's show and worker stats) and POST
 * /test/end/:showId (ends a show, as signaling does on a ban). Prints
 * `listening <url>` once ready; exits when its parent goes away.
 *
 * Env: SFU_HOST_SECRET (hex, the shared SFU token key), SFU_HOST_WORKERS (default 1).
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createSfuRouter } from '../../sfu/http.ts';
import { createSfu } from '../../sfu/sfu.ts';

const secret = Buffer.from(process.env.SFU_HOST_SECRET ?? '', 'hex');
const sfu = await createSfu({ workers: Number(process.env.SFU_HOST_WORKERS ?? 1), listenIp: '127.0.0.1', keyframeIntervalMs: 300 });
const app = express();
app.get('/test/stats', async (_req, res) => {
  res.json({ shows: await sfu.engine.showStats(), workers: await sfu.engine.workerStats() });
});
app.post('/test/end/:showId', async (req, res) => {
  await sfu.engine.closeShow(String(req.params.showId));
  res.status(204).end();
});
app.use(createSfuRouter({ engine: sfu.engine, secret }));
const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`listening http://127.0.0.1:${port}\n`);
});
const stop = () => { void sfu.close().finally(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();

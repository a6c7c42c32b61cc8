/**
 * A real coturn (`turnserver`) on a free loopback port, with a fresh secret, for private-call tests
 * (the RECIPES command line). `stop()` ends it and removes its files.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';

export interface Coturn { url: string; port: number; secret: string; stop(): Promise<void> }

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** `port` and `secret` restart a stopped coturn as it was (a relay that went down and came back). */
export async function startCoturn(o: { port?: number; secret?: string } = {}): Promise<Coturn> {
  const dir = mkdtempSync(join(tmpdir(), 'livecam-coturn-'));
  const port = o.port ?? await freeUdpPort();
  const secret = o.secret ?? randomBytes(24).toString('base64url');
  // Relay ports: a band chosen from the listening port so parallel suites rarely collide.
  const minPort = 40_000 + (port % 200) * 100;
  const log = join(dir, 'turn.log');
  const child = spawn('turnserver', [
    '-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`,
    `--min-port=${minPort}`, `--max-port=${minPort + 99}`, '--use-auth-secret', `--static-auth-secret=${secret}`,
    '--realm=livecam.test', '--fingerprint', '--no-tls', '--no-dtls', '--no-cli', '--allow-loopback-peers',
    `--log-file=${log}`, '--simple-log', `--pidfile=${join(dir, 'turn.pid')}`,
  ], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    let text = '';
    try { text = readFileSync(log, 'utf8'); } catch { /* not yet written */ }
    if (/listener opened on|Total General servers/i.test(text) || /IPv4\. UDP listener/i.test(text)) break;
    if (child.exitCode !== null) throw new Error(`turnserver exited ${child.exitCode}: ${text.slice(-500)}`);
    if (Date.now() > deadline) throw new Error(`turnserver did not start: ${text.slice(-500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `turn:127.0.0.1:${port}`,
    port,
    secret,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

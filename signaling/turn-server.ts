/**
 * coturn for the one-machine platform: `npm start` runs a `turnserver` of its own when the operator set no
 * TURN_URLS, on HOST, with a fresh random REST-API secret (signaling/turn.ts makes the credentials), and stops it
 * on close.
 *
 * Hardening for a server that only ever relays between two browsers of one call: both peers' relay candidates are
 * allocations on this same server, so the only peer address it ever needs is its own relay address; every other
 * peer (the machine's other interfaces, the LAN, the internet) is denied, so nobody can use it as an open relay.
 * Loopback peers are allowed only when HOST is loopback. UDP relays only (no TCP relays). No TLS/DTLS listeners, no CLI, no version in responses,
 * log, pid and database files in a private temporary directory removed on close.
 *
 * The child runs under `setpriv --pdeathsig SIGTERM` when util-linux has it, so coturn dies with this process even
 * when it is killed without a chance to clean up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { PlatformError } from '../crypto/errors.ts';

export class TurnServerError extends PlatformError<'TURN_SERVER_FAILED'> {}

export interface TurnServerOptions {
  /** IP address coturn listens and relays on (an IP literal; loopback for the one-machine demo). */
  host: string;
  /** Path of the `turnserver` binary (see `TurnServer.findBinary`). */
  binary: string;
  /** Lowest UDP port of relay allocations. */
  minPort?: number;
  /** Highest UDP port of relay allocations. */
  maxPort?: number;
  /** How long coturn may take to answer its first STUN request. */
  startTimeoutMs?: number;
}

/** Finds an executable on PATH; null when there is none. */
export function findExecutable(name: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch { /* not here */ }
  }
  return null;
}

export function isLoopback(host: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::1';
}

/** A port free for both TCP and UDP on `host` (coturn listens on both). */
async function freePort(host: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(0, host, () => {
        const { port: p } = probe.address() as { port: number };
        probe.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const s = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
      s.once('error', () => resolve(false));
      s.bind(port, host, () => s.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new TurnServerError('TURN_SERVER_FAILED', `no free port for coturn on ${host}`);
}

/** True when a STUN Binding request to host:port gets a success response within `ms`. */
function stunAnswers(host: string, port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0); // Binding request, no attributes
    request.writeUInt32BE(0x2112a442, 4); // magic cookie
    randomBytes(12).copy(request, 8);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      s.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    s.once('error', () => done(false));
    s.on('message', (m: Buffer) => {
      if (m.length >= 20 && m.readUInt16BE(0) === 0x0101 && m.subarray(8, 20).equals(request.subarray(8, 20))) done(true);
    });
    s.send(request, port, host);
  });
}

export class TurnServer {
  /** `turn:` URLs to hand to browsers (TURN_URLS). */
  readonly urls: string[];
  /** The REST-API shared secret (TURN_SECRET), random per start. */
  readonly secret: string;
  readonly host: string;
  readonly port: number;
  readonly #child: ChildProcess;
  readonly #dir: string;
  #closing: Promise<void> | null = null;
  #spawnError: Error | null = null;

  private constructor(host: string, port: number, secret: string, child: ChildProcess, dir: string) {
    this.host = host;
    this.port = port;
    this.secret = secret;
    this.#child = child;
    this.#dir = dir;
    child.once('error', (err) => { this.#spawnError = err; });
    this.urls = [`turn:${host.includes(':') ? `[${host}]` : host}:${port}?transport=udp`];
  }

  /** The `turnserver` binary on PATH, or null when coturn is not installed. */
  static findBinary(path?: string): string | null {
    return findExecutable('turnserver', path);
  }

  /** Starts coturn and resolves once it answers STUN; on failure nothing is left running. */
  static async start(options: TurnServerOptions): Promise<TurnServer> {
    const host = options.host;
    if (isIP(host) === 0) throw new TurnServerError('TURN_SERVER_FAILED', `coturn needs an IP address to listen on, not ${host}`);
    const port = await freePort(host);
    const secret = randomBytes(32).toString('base64url');
    const dir = mkdtempSync(join(tmpdir(), 'livecam-turn-'));
    const loopback = isLoopback(host);
    const args = [
      '-n', `--listening-ip=${host}`, `--relay-ip=${host}`, `--listening-port=${port}`,
      `--min-port=${options.minPort ?? 49152}`, `--max-port=${options.maxPort ?? 65535}`,
      '--use-auth-secret', `--static-auth-secret=${secret}`, '--realm=livecam', '--fingerprint',
      '--no-tls', '--no-dtls', '--no-cli', '--no-rfc5780', '--no-software-attribute', '--no-multicast-peers',
      // WebRTC relays UDP only; a TCP relay (RFC 6062) would let a client open TCP connections from this host.
      '--no-tcp-relay',
      ...(loopback ? ['--allow-loopback-peers'] : []),
      // Peers: only this server's own relay address (see the header).
      '--denied-peer-ip=0.0.0.0-255.255.255.255', '--denied-peer-ip=::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      `--allowed-peer-ip=${host}`,
      `--log-file=${join(dir, 'turn.log')}`, '--simple-log', `--pidfile=${join(dir, 'turn.pid')}`, `--db=${join(dir, 'turndb')}`,
    ];
    const setpriv = findExecutable('setpriv');
    const [command, argv] = setpriv
      ? [setpriv, ['--pdeathsig', 'SIGTERM', '--', options.binary, ...args]]
      : [options.binary, args];
    // The secret is on coturn's command line, readable by this machine's users in /proc: fine for the demo it serves.
    const child = spawn(command, argv, { stdio: 'ignore' });
    const server = new TurnServer(host, port, secret, child, dir);
    try {
      await server.#ready(options.startTimeoutMs ?? 10_000);
      return server;
    } catch (err) {
      await server.close();
      throw err;
    }
  }

  /** The coturn process id (for tests that check it is gone). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#spawnError === null && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async #ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.running) {
      if (await stunAnswers(this.host, this.port, 200)) return;
    }
    const why = this.#spawnError ? ` (${this.#spawnError.message})` : '';
    const log = this.#logTail();
    throw new TurnServerError('TURN_SERVER_FAILED', `coturn did not start on ${this.host}:${this.port}${why}${log ? `: ${log}` : ''}`);
  }

  #logTail(): string {
    try {
      return readFileSync(join(this.#dir, 'turn.log'), 'utf8').trim().split('\n').slice(-3).join(' / ');
    } catch {
      return '';
    }
  }

  /** Stops coturn (TERM, then KILL after 3 s) and removes its files. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.running) {
        const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
        this.#child.kill('SIGTERM');
        const timer = setTimeout(() => this.#child.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(this.#dir, { recursive: true, force: true });
    })();
    return this.#closing;
  }
}

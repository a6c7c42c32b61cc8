/**
 * docker/compose.yml as Debian's `docker-compose config` resolves it (no Docker engine runs here, but the
 * resolution, interpolation and profiles are docker-compose's own), read into JSON with PyYAML (a dependency of
 * the docker-compose package). The environment is only what the caller gives, so no variable of the machine
 * running the tests leaks into the result. `config` keeps only the services the profile starts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const composeFile = join(root, 'docker', 'compose.yml');

export interface Service {
  build?: { context: string; dockerfile: string; target?: string };
  image?: string;
  user?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: (string | { published: number; target: number; host_ip?: string })[];
  networks?: Record<string, { ipv4_address?: string } | null>;
  network_mode?: string;
  volumes?: string[];
  profiles?: string[];
  healthcheck?: { disable?: boolean; test?: string[] };
  depends_on?: Record<string, { condition: string }>;
}
export interface Resolved {
  services: Record<string, Service>;
  networks?: Record<string, { internal?: boolean } | null>;
  volumes?: Record<string, unknown>;
}

/** Values for every required variable of the production profile (illustrative, nothing secret). */
export const PRODUCTION_ENV: Record<string, string> = {
  PUBLIC_URL: 'https://cam.example',
  SFU_1_PUBLIC_URL: 'https://cam.example:8441',
  SFU_2_PUBLIC_URL: 'https://cam.example:8442',
  PUBLIC_IP: '198.51.100.7',
  TURN_HOST: 'cam.example',
  RPC_URL: 'https://rpc.example',
  LIVE_TOKEN_ADDRESS: `0x${'11'.repeat(20)}`,
  LIVE_CHANNELS_ADDRESS: `0x${'22'.repeat(20)}`,
  SESSION_SECRET: Buffer.alloc(32, 1).toString('base64'),
  MASTER_KEYS: `k1:${Buffer.alloc(32, 2).toString('base64')}`,
  TURN_SECRET: 'a-turn-secret-of-the-test',
  REDIS_PASSWORD: 'a-redis-password-of-the-test',
};

/** The secrets dev.env leaves to the shell. */
export const DEV_SECRETS: Record<string, string> = {
  SESSION_SECRET: PRODUCTION_ENV.SESSION_SECRET!, MASTER_KEYS: PRODUCTION_ENV.MASTER_KEYS!,
  TURN_SECRET: PRODUCTION_ENV.TURN_SECRET!, REDIS_PASSWORD: PRODUCTION_ENV.REDIS_PASSWORD!,
};

export interface ConfigRun { status: number | null; stderr: string; config: Resolved | null }

/** `docker-compose --env-file FILE -f docker/compose.yml --profile PROFILE config`, with `env` in FILE (or `envFile`). */
export function composeConfig(profile: string, env: Record<string, string>, envFile?: string): ConfigRun {
  const dir = mkdtempSync(join(tmpdir(), 'livecam-compose-'));
  try {
    const file = envFile ?? join(dir, 'test.env');
    if (!envFile) writeFileSync(file, Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(''));
    const run = spawnSync('docker-compose', ['--env-file', file, '-f', composeFile, '--profile', profile, 'config'], {
      cwd: dir, encoding: 'utf8', timeout: 60_000,
      env: { PATH: process.env.PATH, HOME: dir, ...(envFile ? env : {}) },
    });
    if (run.status !== 0) return { status: run.status, stderr: run.stderr, config: null };
    const json = spawnSync('python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], { input: run.stdout, encoding: 'utf8' });
    if (json.status !== 0) throw new Error(`python3 yaml: ${json.stderr}`);
    const all = JSON.parse(json.stdout) as Resolved;
    // docker-compose 1.29's `config` prints every service with its `profiles`; `up --profile P` starts those
    // without profiles and those that list P (the Compose specification's rule), which is what is kept here.
    const services = Object.fromEntries(Object.entries(all.services).filter(([, s]) => !s.profiles || s.profiles.includes(profile)));
    return { status: 0, stderr: run.stderr, config: { ...all, services } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Published ports of a service as `host_ip:published`, host_ip '' meaning every interface. */
export function published(service: Service): string[] {
  return (service.ports ?? []).map((p) => {
    if (typeof p !== 'string') return `${p.host_ip ?? ''}:${p.published}`;
    const parts = p.replace(/\/(tcp|udp)$/, '').split(':');
    return parts.length === 3 ? `${parts[0]}:${parts[1]}` : parts.length === 2 ? `:${parts[0]}` : `:${parts[0]}`;
  });
}

/**
 * The real platform, in this process, on free loopback ports, with the
 * client freshly built: what `npm start` runs, minus the console.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { loadConfig } from '../../signaling/config.ts';
import { startPlatform, type Platform } from '../../signaling/platform.ts';

let built: Promise<unknown> | null = null;

/** Build client/dist once per test process. */
export function buildClient(): Promise<unknown> {
  built ??= build({
    configFile: fileURLToPath(new URL('../../client/vite.config.ts', import.meta.url)),
    logLevel: 'warn',
  });
  return built;
}

/** Start the platform with test-friendly defaults; `env` overrides them. */
export async function startTestPlatform(env: Record<string, string> = {}): Promise<Platform> {
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    CHAIN_PORT: '0',
    SFU_WORKERS: '1',
    LOG_LEVEL: 'warn',
    ...env,
  });
  return startPlatform(config);
}

/**
 * The system commands the test suites need, checked before anything runs, so a machine without them hears
 * it once, with the command that installs them, instead of from every suite that fails (tests/run.ts).
 * Only test-time needs: python3, make and g++ build the native addon at `npm ci`, not during the tests.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export interface SystemCommand {
  /** The command the tests run (or the file, for Chromium). */
  command: string;
  /** The Debian package that installs it. */
  pkg: string;
  /** Needed by every run (the loopback-only namespace), not only by some suites. */
  always: boolean;
}

/** What the tests start, and from which Debian package (see .ci/run, which installs the same). */
export const SYSTEM_COMMANDS: readonly SystemCommand[] = [
  { command: 'ip', pkg: 'iproute2', always: true },
  { command: 'unshare', pkg: 'util-linux', always: true },
  { command: 'chromium', pkg: 'chromium', always: false },
  { command: 'redis-server', pkg: 'redis-server', always: false },
  { command: 'turnserver', pkg: 'coturn', always: false },
  // The entry point in front of two signaling processes (tests/cluster/).
  { command: 'nginx', pkg: 'nginx', always: false },
  // `docker-compose config` validates docker/compose.yml (tests/docker/).
  { command: 'docker-compose', pkg: 'docker-compose', always: false },
];

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** True when `command` is an executable file on `PATH` (or, if absolute, at that path). */
export function onPath(command: string, path: string | undefined): boolean {
  if (isAbsolute(command)) return isExecutableFile(command);
  return (path ?? '').split(delimiter).some((dir) => dir !== '' && isExecutableFile(join(dir, command)));
}

/** The system commands missing under `env`. Chromium is looked for where tests/helpers/chromium.ts starts it. */
export function missingSystemCommands(env: NodeJS.ProcessEnv = process.env): SystemCommand[] {
  return SYSTEM_COMMANDS.filter(({ command }) => {
    if (command === 'chromium') return !onPath(env.CHROMIUM_PATH ?? '/usr/bin/chromium', env.PATH);
    return !onPath(command, env.PATH);
  });
}

/** The one line that names what is missing and how to install it; undefined when nothing is. */
export function missingLine(missing: readonly SystemCommand[], isRoot = process.getuid?.() === 0): string | undefined {
  if (missing.length === 0) return undefined;
  const pkgs = [...new Set(missing.map((m) => m.pkg))].join(' ');
  return `tests/run: missing ${missing.map((m) => m.command).join(', ')} (install with: ${isRoot ? '' : 'sudo '}apt-get install -y ${pkgs})`;
}

/**
 * What tests/run.ts does about missing commands: a full run stops (exit 2) on any; a run filtered to some
 * files stops only without the namespace's commands, and otherwise warns, since those files may not need the rest.
 */
export function systemCheck(filtered: boolean, env: NodeJS.ProcessEnv = process.env, isRoot = process.getuid?.() === 0): { line: string; stop: boolean } | undefined {
  const missing = missingSystemCommands(env);
  const line = missingLine(missing, isRoot);
  if (line === undefined) return undefined;
  if (!filtered || missing.some((m) => m.always)) return { line, stop: true };
  return { line: `${line}; the suites that need them will fail`, stop: false };
}

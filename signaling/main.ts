/**
 * `npm start`: the whole platform in one process tree on one machine.
 *
 * Exit codes: 0 after a clean stop (SIGINT/SIGTERM), 1 when a part fails to
 * start, 2 when the configuration is invalid (including a chain whose challenge
 * period is below MIN_CHALLENGE_PERIOD_SECONDS).
 */
import { loadConfig, ConfigError } from './config.ts';
import { startPlatform } from './platform.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Invalid configuration: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }

  const platform = await startPlatform(config).catch((err: unknown) => {
    console.error(`The platform failed to start: ${err instanceof Error ? err.message : String(err)}`);
    // A configuration that only the chain can refute (a challenge period below the floor) is still a configuration error.
    process.exit(err instanceof ConfigError ? 2 : 1);
  });

  console.log(platform.banner());

  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${why}: stopping…`);
    // A stuck part must not keep the process (and its children) alive forever.
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    platform.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  watchLauncher(stop);
}

/**
 * Under `npm start` (the script `exec`s node, so npm is the parent), a launcher
 * that dies without passing a signal on (SIGKILL, a crash) would leave the
 * platform running as an orphan holding its ports: when the parent changes,
 * stop. Started directly (a process manager, a container's init), the parent is
 * the supervisor, which signals node itself.
 */
function watchLauncher(stop: (why: string) => void): void {
  if (process.env.npm_lifecycle_event !== 'start') return;
  const launcher = process.ppid;
  const timer = setInterval(() => { if (process.ppid !== launcher) stop('npm start exited'); }, 500);
  timer.unref();
}

await main();

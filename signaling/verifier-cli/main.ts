/**
 * The age verifier's command-line tool (Node only). The verifier runs it on
 * their own machine; the platform never sees the document or this key.
 *
 *   npm run verifier -- keygen --out FILE [--passphrase-env VAR] [--force]
 *   npm run verifier -- open   --key FILE --in SEALED --out DOCUMENT [--passphrase-env VAR]
 *   npm run verifier -- decide --key FILE --in SEALED --adult yes|no [--out ATTESTATION] [--log FILE] [--passphrase-env VAR]
 *   npm run verifier -- verify --in ATTESTATION --trusted KEY[,KEY...] [--model KEY]
 *   npm run verifier -- fetch  --server URL --key FILE --out DIR [--passphrase-env VAR]
 *   npm run verifier -- submit --server URL --key FILE --in ATTESTATION [--passphrase-env VAR]
 *   npm run verifier -- review --server URL --key FILE [--model KEY [--adult yes|no]] [--log FILE] [--passphrase-env VAR]
 *
 * `fetch`, `submit` and `review` talk to a signaling server's verifier API
 * (signaling/account.ts, through http-client.ts): GET /verifier/pending with the signed header of
 * crypto/verifier-auth.ts, POST /verifier/attestations. `review` does the whole loop:
 * each pending document is decrypted to a private temp file (0600) for the
 * human to inspect, the answer (stdin, or --adult) is signed, logged and
 * submitted, and the decrypted file is deleted.
 *
 * SEALED is the blob from the model's browser: raw bytes, base64url text, or
 * JSON with a `sealedDocument` field (as the signaling API lists pending ones).
 * `decide` re-opens the blob (so a decision is always about a document that
 * really is for this verifier and signed by the model), signs the attestation
 * (stdout or --out) and appends one line to the decision log (default
 * `decisions.jsonl` next to the key). Exit codes: 0 done, 1 refused (a
 * CryptoError code, or the server's error code, is printed), 2 usage error
 * (bad argument, missing file). See crypto/AGE_VERIFICATION.md.
 *
 * This file parses the command line, maps errors to exit codes and wires
 * stdin/stdout; options.ts reads the flags, commands.ts runs the commands.
 */
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CryptoError } from '../../crypto/crypto-error.ts';
import { COMMANDS } from './commands.ts';
import { UsageError, VerifierServerError } from './errors.ts';
import { OPTIONS, PARSE_OPTIONS, USAGE, joinValues, type CliIo } from './options.ts';

export type { CliIo } from './options.ts';
export { VerifierServerError } from './errors.ts';

/** Run the CLI; returns the exit code. */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  try {
    const [command, ...rest] = argv;
    const { values } = parseArgs({ args: joinValues(rest), strict: true, options: PARSE_OPTIONS });
    const known = command !== undefined && Object.hasOwn(OPTIONS, command) && Object.hasOwn(COMMANDS, command);
    const allowed = known ? OPTIONS[command] : undefined;
    const run = known ? COMMANDS[command] : undefined;
    if (!allowed || !run) throw new UsageError(command === undefined ? 'missing command' : `unknown command ${command}`);
    for (const name of Object.keys(values)) {
      if (!allowed.includes(name)) throw new UsageError(`--${name} is not an option of ${command}`);
    }
    const checked: Record<string, string | boolean | undefined> = { ...values };
    for (const name of ['out', 'key', 'in', 'log'] as const) {
      const v = checked[name];
      if (typeof v === 'string' && v !== '') checked[name] = resolve(io.cwd, v);
    }
    return await run(checked, io);
  } catch (err) {
    if (err instanceof CryptoError || err instanceof VerifierServerError) {
      io.err(`${err.code}: ${err.message}`);
      return 1;
    }
    if (err instanceof UsageError || (err as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS')) {
      io.err(`${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    const fsCode = (err as { code?: unknown })?.code;
    if (fsCode === 'ENOENT' || fsCode === 'EISDIR' || fsCode === 'ENOTDIR' || fsCode === 'EACCES') {
      io.err(`cannot use ${(err as { path?: string }).path ?? 'a file'}: ${String(fsCode)}`);
      return 2;
    }
    io.err(`error: ${(err as Error)?.message ?? String(err)}`);
    return 1;
  }
}

/** Line reader over stdin shared by every question of a run (a fresh reader per question would drop buffered lines). */
function stdinAsker(): { ask: (q: string) => Promise<string | null>; close: () => void } {
  let rl: ReturnType<typeof createInterface> | undefined;
  let ended = false;
  const lines: string[] = [];
  const waiting: ((line: string | null) => void)[] = [];
  return {
    ask(question) {
      process.stderr.write(question);
      if (!rl) {
        rl = createInterface({ input: process.stdin, terminal: false });
        rl.on('line', (line) => { const w = waiting.shift(); if (w) w(line); else lines.push(line); });
        rl.on('close', () => { ended = true; for (const w of waiting.splice(0)) w(null); });
      }
      if (lines.length > 0) return Promise.resolve(lines.shift()!);
      if (ended) return Promise.resolve(null);
      return new Promise((resolve) => waiting.push(resolve));
    },
    close() { rl?.close(); },
  };
}

function defaultIo(asker?: { ask: (q: string) => Promise<string | null> }): CliIo {
  // `npm run` changes to the package root; INIT_CWD is where the user typed the command.
  return {
    out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`),
    env: process.env, cwd: process.env.INIT_CWD ?? process.cwd(),
    ...(asker ? { ask: asker.ask } : {}),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const asker = stdinAsker();
  try {
    process.exitCode = await main(process.argv.slice(2), defaultIo(asker));
  } finally {
    asker.close();
  }
}

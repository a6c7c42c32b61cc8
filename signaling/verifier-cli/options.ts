/**
 * The verifier CLI's command line: the commands, the options each takes, and
 * the readers that turn a flag into a checked value (or a UsageError).
 */
import { isBase64url } from '../../crypto/encoding.ts';
import { UsageError } from './errors.ts';

/** Where output goes (replaceable in tests). */
export interface CliIo {
  /** Normal output (public key, metadata, attestation JSON). */
  out: (line: string) => void;
  /** Diagnostics and errors. */
  err: (line: string) => void;
  /** Environment (for --passphrase-env). */
  env: Record<string, string | undefined>;
  /** Directory relative paths are resolved against. */
  cwd: string;
  /** Asks the human a question (review); resolves null when input has ended. */
  ask?: (question: string) => Promise<string | null>;
}

/** Parsed options of one command. */
export type Values = Record<string, string | boolean | undefined>;

export const USAGE = `usage:
  verifier keygen --out FILE [--passphrase-env VAR] [--force]
  verifier open   --key FILE --in SEALED --out DOCUMENT [--passphrase-env VAR]
  verifier decide --key FILE --in SEALED --adult yes|no [--out ATTESTATION] [--log FILE] [--passphrase-env VAR]
  verifier verify --in ATTESTATION --trusted KEY[,KEY...] [--model KEY]
  verifier fetch  --server URL --key FILE --out DIR [--passphrase-env VAR]
  verifier submit --server URL --key FILE --in ATTESTATION [--passphrase-env VAR]
  verifier review --server URL --key FILE [--model KEY [--adult yes|no]] [--log FILE] [--passphrase-env VAR]`;

/** The options each command takes; any other is a usage error rather than silently ignored. */
export const OPTIONS: Record<string, readonly string[]> = {
  keygen: ['out', 'passphrase-env', 'force'],
  open: ['key', 'in', 'out', 'passphrase-env'],
  decide: ['key', 'in', 'adult', 'out', 'log', 'passphrase-env'],
  verify: ['in', 'trusted', 'model'],
  fetch: ['server', 'key', 'out', 'passphrase-env'],
  submit: ['server', 'key', 'in', 'passphrase-env'],
  review: ['server', 'key', 'model', 'adult', 'log', 'passphrase-env'],
};

/** Every option of every command, as `node:util` parseArgs declares them. */
export const PARSE_OPTIONS = {
  out: { type: 'string' }, key: { type: 'string' }, in: { type: 'string' }, adult: { type: 'string' },
  log: { type: 'string' }, trusted: { type: 'string' }, model: { type: 'string' },
  server: { type: 'string' }, 'passphrase-env': { type: 'string' }, force: { type: 'boolean' },
} as const;

/**
 * `--trusted -Abc…` → `--trusted=-Abc…`: one base64url key in 64 starts with
 * '-', which parseArgs would otherwise refuse as an ambiguous value.
 */
export function joinValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (/^--(trusted|model)$/.test(arg) && next !== undefined && /^-[A-Za-z0-9_-]/.test(next) && !next.startsWith('--')) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

export function need(values: Values, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`missing --${name}`);
  return v;
}

export function passphrase(values: Values, io: CliIo): string | undefined {
  const name = values['passphrase-env'];
  if (name === undefined) return undefined;
  const p = io.env[name as string];
  if (!p) throw new UsageError(`environment variable ${String(name)} is empty`);
  return p;
}

export function adultFlag(values: Values): 'yes' | 'no' {
  const v = need(values, 'adult');
  if (v !== 'yes' && v !== 'no') throw new UsageError('--adult must be yes or no');
  return v;
}

export function modelFlag(values: Values): string | undefined {
  const v = values.model;
  if (v === undefined) return undefined;
  if (!isBase64url(v, 32)) throw new UsageError('--model must be a model public key (43 base64url characters)');
  return v as string;
}

/** `--server`: an http(s) base URL without credentials, query or fragment. Returns it without a trailing slash. */
export function serverFlag(values: Values, io: CliIo): string {
  const text = need(values, 'server');
  let url: URL;
  try { url = new URL(text); } catch { throw new UsageError(`--server: not a URL: ${text}`); }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--server must be an http:// or https:// URL');
  if (url.username || url.password) throw new UsageError('--server must not contain credentials');
  if (url.search || url.hash || text.includes('?') || text.includes('#')) throw new UsageError('--server must not have a query or fragment');
  if (url.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
    io.err(`warning: ${url.host} over plain http: use https outside a local test`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * The age verifier's command-line tool (Node only). The verifier runs it on
 * their own machine; the platform never sees the document or this key.
 *
 *   npm run verifier -- keygen --out FILE [--passphrase-env VAR] [--force]
 *   npm run verifier -- open   --key FILE --in SEALED --out DOCUMENT [--passphrase-env VAR]
 *   npm run verifier -- decide --key FILE --in SEALED --adult yes|no [--out ATTESTATION] [--log FILE] [--passphrase-env VAR]
 *   npm run verifier -- verify --in ATTESTATION --trusted KEY[,KEY...] [--model KEY]
 *   npm run verifier -- fetch  --server URL --key FILE --out DIR [--passphrase-env VAR]
 *   npm run verifier -- submit --server URL --in ATTESTATION
 *   npm run verifier -- review --server URL --key FILE [--model KEY [--adult yes|no]] [--log FILE] [--passphrase-env VAR]
 *
 * `fetch`, `submit` and `review` talk to a signaling server's verifier API
 * (signaling/account.ts): GET /verifier/pending with the signed header of
 * verifier-auth.ts, POST /verifier/attestations. `review` does the whole loop:
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
 */
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { openDocument, signAttestation, verifyAttestation, type AgeAttestation, type OpenedDocument } from './age.ts';
import { CryptoError } from './crypto-error.ts';
import { PlatformError } from './errors.ts';
import { fromBase64url, isBase64url, toBase64url } from './encoding.ts';
import { createIdentity, exportIdentity, identityFromSecretKey, importIdentity, type Identity } from './identity.ts';
import { asObject } from './statement.ts';
import { verifierAuthorization } from './verifier-auth.ts';

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

class UsageError extends Error {}

/** A refusal or failure of the signaling server (or of reaching it); `code` is the server's JSON error code. */
export class VerifierServerError extends PlatformError {}

const USAGE = `usage:
  verifier keygen --out FILE [--passphrase-env VAR] [--force]
  verifier open   --key FILE --in SEALED --out DOCUMENT [--passphrase-env VAR]
  verifier decide --key FILE --in SEALED --adult yes|no [--out ATTESTATION] [--log FILE] [--passphrase-env VAR]
  verifier verify --in ATTESTATION --trusted KEY[,KEY...] [--model KEY]
  verifier fetch  --server URL --key FILE --out DIR [--passphrase-env VAR]
  verifier submit --server URL --in ATTESTATION
  verifier review --server URL --key FILE [--model KEY [--adult yes|no]] [--log FILE] [--passphrase-env VAR]`;

/** The options each command takes; any other is a usage error rather than silently ignored. */
const OPTIONS: Record<string, readonly string[]> = {
  keygen: ['out', 'passphrase-env', 'force'],
  open: ['key', 'in', 'out', 'passphrase-env'],
  decide: ['key', 'in', 'adult', 'out', 'log', 'passphrase-env'],
  verify: ['in', 'trusted', 'model'],
  fetch: ['server', 'key', 'out', 'passphrase-env'],
  submit: ['server', 'in'],
  review: ['server', 'key', 'model', 'adult', 'log', 'passphrase-env'],
};

/**
 * `--trusted -Abc…` → `--trusted=-Abc…`: one base64url key in 64 starts with
 * '-', which parseArgs would otherwise refuse as an ambiguous value.
 */
function joinValues(args: string[]): string[] {
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

/** Run the CLI; returns the exit code. */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  try {
    const [command, ...rest] = argv;
    const { values } = parseArgs({
      args: joinValues(rest),
      strict: true,
      options: {
        out: { type: 'string' }, key: { type: 'string' }, in: { type: 'string' }, adult: { type: 'string' },
        log: { type: 'string' }, trusted: { type: 'string' }, model: { type: 'string' },
        server: { type: 'string' }, 'passphrase-env': { type: 'string' }, force: { type: 'boolean' },
      },
    });
    const allowed = command === undefined ? undefined : OPTIONS[command];
    if (!allowed) throw new UsageError(command === undefined ? 'missing command' : `unknown command ${command}`);
    for (const name of Object.keys(values)) {
      if (!allowed.includes(name)) throw new UsageError(`--${name} is not an option of ${command}`);
    }
    for (const name of ['out', 'key', 'in', 'log'] as const) {
      const v = values[name];
      if (typeof v === 'string' && v !== '') values[name] = resolve(io.cwd, v);
    }
    switch (command) {
      case 'keygen': return await keygen(values, io);
      case 'open': return await open(values, io);
      case 'decide': return await decide(values, io);
      case 'verify': return await verify(values, io);
      case 'fetch': return await fetchPending(values, io);
      case 'submit': return await submit(values, io);
      case 'review': return await review(values, io);
      default: throw new UsageError(command === undefined ? 'missing command' : `unknown command ${command}`);
    }
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

type Values = Record<string, string | boolean | undefined>;

function need(values: Values, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`missing --${name}`);
  return v;
}

function passphrase(values: Values, io: CliIo): string | undefined {
  const name = values['passphrase-env'];
  if (name === undefined) return undefined;
  const p = io.env[name as string];
  if (!p) throw new UsageError(`environment variable ${String(name)} is empty`);
  return p;
}

async function keygen(values: Values, io: CliIo): Promise<number> {
  const out = need(values, 'out');
  if (existsSync(out) && values.force !== true) throw new UsageError(`${out} exists (use --force to overwrite)`);
  const id = await createIdentity();
  const pass = passphrase(values, io);
  const text = pass === undefined
    ? JSON.stringify({ v: 1, kind: 'livecam-verifier-key', publicKey: id.publicKey, secretKey: toBase64url(id.secretKey) })
    : await exportIdentity(id, pass);
  writeFileSync(out, `${text}\n`, { mode: 0o600 });
  io.err(`verifier key written to ${out}; give operators this public key (VERIFIER_PUBLIC_KEYS):`);
  io.out(id.publicKey);
  return 0;
}

async function loadKey(values: Values, io: CliIo): Promise<Identity> {
  const path = need(values, 'key');
  const text = readFileSync(path, 'utf8').trim();
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch { throw new CryptoError('CRYPTO_BAD_ENCODING', `${path}: not a verifier key file`); }
  const o = asObject(parsed, 'key file');
  if (o.kind === 'livecam-identity') {
    const pass = passphrase(values, io);
    if (pass === undefined) throw new UsageError(`${path} is passphrase-protected: pass --passphrase-env VAR`);
    return importIdentity(text, pass);
  }
  if (o.kind !== 'livecam-verifier-key' || o.v !== 1) throw new CryptoError('CRYPTO_BAD_ENCODING', `${path}: not a verifier key file`);
  const id = await identityFromSecretKey(fromBase64url(o.secretKey, 64, 'secretKey'));
  if (id.publicKey !== o.publicKey) throw new CryptoError('CRYPTO_BAD_KEY', `${path}: public key does not match`);
  return id;
}

function loadSealed(path: string): Uint8Array | string {
  const raw = readFileSync(path);
  const text = raw.toString('utf8').trim();
  if (text.startsWith('{')) {
    let o: Record<string, unknown>;
    try { o = asObject(JSON.parse(text), 'sealed document file'); } catch { throw new CryptoError('CRYPTO_BAD_ENCODING', `${path}: bad JSON`); }
    if (typeof o.sealedDocument !== 'string') throw new CryptoError('CRYPTO_BAD_ENCODING', `${path}: no sealedDocument field`);
    return o.sealedDocument;
  }
  return isBase64url(text) ? text : new Uint8Array(raw);
}

function describe(doc: OpenedDocument): string {
  return JSON.stringify({
    modelKey: doc.modelKey, mimeType: doc.mimeType, submittedAt: new Date(doc.submittedAt * 1000).toISOString(),
    bytes: doc.document.length, sha256: createHash('sha256').update(doc.document).digest('hex'),
  });
}

async function open(values: Values, io: CliIo): Promise<number> {
  const out = need(values, 'out');
  const id = await loadKey(values, io);
  const doc = await openDocument(id, loadSealed(need(values, 'in')));
  writeFileSync(out, doc.document, { mode: 0o600 });
  io.out(describe(doc));
  io.err(`document written to ${out}: inspect it, then run decide; delete it when your retention rules allow`);
  return 0;
}

function adultFlag(values: Values): 'yes' | 'no' {
  const v = need(values, 'adult');
  if (v !== 'yes' && v !== 'no') throw new UsageError('--adult must be yes or no');
  return v;
}

function decisionLog(values: Values, keyPath: string): string {
  return typeof values.log === 'string' ? values.log : join(dirname(resolve(keyPath)), 'decisions.jsonl');
}

/** One line per decision: never the document, only its hash. */
function logDecision(log: string, doc: OpenedDocument, attestation: AgeAttestation): void {
  appendFileSync(log, `${JSON.stringify({
    decidedAt: new Date(attestation.issuedAt * 1000).toISOString(), modelKey: doc.modelKey, adult: attestation.adult,
    submittedAt: doc.submittedAt, mimeType: doc.mimeType, documentSha256: createHash('sha256').update(doc.document).digest('hex'),
    attestationSignature: attestation.signature,
  })}\n`, { mode: 0o600 });
}

async function decide(values: Values, io: CliIo): Promise<number> {
  const adult = adultFlag(values);
  const keyPath = need(values, 'key');
  const id = await loadKey(values, io);
  const doc = await openDocument(id, loadSealed(need(values, 'in')));
  const attestation = await signAttestation(id, { modelKey: doc.modelKey, adult: adult === 'yes' });
  const log = decisionLog(values, keyPath);
  logDecision(log, doc, attestation);
  const text = JSON.stringify(attestation);
  if (typeof values.out === 'string') writeFileSync(values.out, `${text}\n`);
  else io.out(text);
  io.err(`decision for ${doc.modelKey}: ${adult === 'yes' ? 'adult' : 'NOT adult'}; logged to ${log}`);
  return 0;
}

async function verify(values: Values, io: CliIo): Promise<number> {
  const path = need(values, 'in');
  let parsed: unknown;
  try { parsed = JSON.parse(readFileSync(path, 'utf8')); } catch { throw new CryptoError('CRYPTO_BAD_ENCODING', `${path}: not JSON`); }
  const trusted = need(values, 'trusted').split(',').map((k) => k.trim()).filter((k) => k !== '');
  const model = modelFlag(values);
  const a = await verifyAttestation(parsed, trusted, undefined, { requireAdult: false, ...(model ? { modelKey: model } : {}) });
  io.out(JSON.stringify({ valid: true, modelKey: a.modelKey, adult: a.adult, issuedAt: a.issuedAt, verifierKey: a.verifierKey }));
  return 0;
}

function modelFlag(values: Values): string | undefined {
  const v = values.model;
  if (v === undefined) return undefined;
  if (!isBase64url(v, 32)) throw new UsageError('--model must be a model public key (43 base64url characters)');
  return v as string;
}

// ---- the signaling server's verifier API ----

const PENDING_PATH = '/verifier/pending';
const ATTESTATIONS_PATH = '/verifier/attestations';
const HTTP_TIMEOUT_MS = 60_000;

/** `--server`: an http(s) base URL without credentials, query or fragment. Returns it without a trailing slash. */
function serverFlag(values: Values, io: CliIo): string {
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

async function request(server: string, path: string, init: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${server}${path}`, { ...init, redirect: 'error', signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  } catch (cause) {
    const inner = (cause as { cause?: { code?: unknown; message?: unknown } })?.cause;
    const why = String(inner?.code ?? inner?.message ?? (cause as Error)?.message ?? 'network error');
    throw new VerifierServerError('UNREACHABLE', `cannot reach ${server} (${why})`, { cause });
  }
  const text = await res.text().catch(() => '');
  let body: unknown;
  try { body = JSON.parse(text); } catch { body = undefined; }
  if (!res.ok) {
    const e = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const code = typeof e?.code === 'string' && /^[A-Z0-9_]{1,64}$/.test(e.code) ? e.code : 'HTTP_ERROR';
    const message = typeof e?.message === 'string' ? e.message.slice(0, 300) : res.statusText;
    throw new VerifierServerError(code, `${message} (HTTP ${res.status} from ${path})`);
  }
  if (body === undefined) throw new VerifierServerError('BAD_RESPONSE', `${path}: the server did not answer JSON`);
  return body;
}

/** A document as the server lists it, and as `fetch` writes it for `decide --in`. */
interface PendingDocument { modelKey: string; sealedDocument: string; submittedAt: number }

async function listPending(server: string, id: Identity): Promise<PendingDocument[]> {
  const body = await request(server, PENDING_PATH, {
    headers: { authorization: await verifierAuthorization(id, 'GET', PENDING_PATH), accept: 'application/json' },
  });
  const docs = (body as { documents?: unknown })?.documents;
  if (!Array.isArray(docs)) throw new VerifierServerError('BAD_RESPONSE', `${PENDING_PATH}: no documents list`);
  return docs.map((d: unknown, i) => {
    const o = (typeof d === 'object' && d !== null ? d : {}) as Record<string, unknown>;
    // The model key becomes a file name: only a real key may.
    if (!isBase64url(o.modelKey, 32) || typeof o.sealedDocument !== 'string' || o.sealedDocument === ''
      || !Number.isSafeInteger(o.submittedAt) || (o.submittedAt as number) < 0) {
      throw new VerifierServerError('BAD_RESPONSE', `${PENDING_PATH}: document ${i} is malformed`);
    }
    return { modelKey: o.modelKey as string, sealedDocument: o.sealedDocument, submittedAt: o.submittedAt as number };
  });
}

async function postAttestation(server: string, attestation: AgeAttestation): Promise<{ modelKey: string; status: string }> {
  const body = await request(server, ATTESTATIONS_PATH, {
    method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ attestation }),
  }) as { modelKey?: unknown; status?: unknown };
  return { modelKey: String(body.modelKey ?? attestation.modelKey), status: String(body.status ?? 'unknown') };
}

/** Writes a file only its owner can read, also when it already existed. */
function writePrivate(path: string, data: string | Uint8Array): void {
  writeFileSync(path, data, { mode: 0o600 });
  chmodSync(path, 0o600);
}

async function fetchPending(values: Values, io: CliIo): Promise<number> {
  const server = serverFlag(values, io);
  const dir = need(values, 'out');
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`--out ${dir} exists and is not a directory`);
  need(values, 'key');
  const id = await loadKey(values, io);
  const docs = await listPending(server, id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const doc of docs) {
    const file = join(dir, `${doc.modelKey}.json`);
    writePrivate(file, `${JSON.stringify(doc)}\n`);
    io.out(JSON.stringify({ modelKey: doc.modelKey, submittedAt: new Date(doc.submittedAt * 1000).toISOString(), file }));
  }
  io.err(`${docs.length} pending document(s) written to ${dir}; decide each with: verifier decide --key KEY --in FILE --adult yes|no --out ATTESTATION`);
  return 0;
}

async function readAttestationFile(path: string): Promise<AgeAttestation> {
  const text = readFileSync(path, 'utf8');
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch { throw new CryptoError('CRYPTO_BAD_ENCODING', `${path}: not JSON`); }
  const o = asObject(parsed, 'attestation');
  // Only the signature can be checked here (the server decides which verifier keys count).
  return verifyAttestation(o, typeof o.verifierKey === 'string' ? [o.verifierKey] : [], undefined, { requireAdult: false });
}

async function submit(values: Values, io: CliIo): Promise<number> {
  const server = serverFlag(values, io);
  const path = need(values, 'in');
  if (!existsSync(path)) throw new UsageError(`--in ${path}: no such file`);
  const attestation = await readAttestationFile(path);
  const res = await postAttestation(server, attestation);
  io.out(JSON.stringify({ modelKey: res.modelKey, adult: attestation.adult, status: res.status }));
  return 0;
}

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': '.jpg', 'image/png': '.png', 'image/webp': '.webp', 'image/heic': '.heic', 'image/gif': '.gif',
  'image/tiff': '.tif', 'application/pdf': '.pdf',
};

/** Asks until the answer is yes, no or skip; null when stdin has ended. */
async function askAdult(io: CliIo, modelKey: string): Promise<boolean | 'skip' | null> {
  if (!io.ask) throw new UsageError('no interactive input: pass --model KEY --adult yes|no');
  for (;;) {
    const answer = await io.ask(`Is the person in the document of ${modelKey} an adult? [yes/no/skip] `);
    if (answer === null) return null;
    const a = answer.trim().toLowerCase();
    if (a === 'yes' || a === 'y') return true;
    if (a === 'no' || a === 'n') return false;
    if (a === 'skip' || a === 's') return 'skip';
    io.err('please answer yes, no or skip');
  }
}

async function review(values: Values, io: CliIo): Promise<number> {
  const server = serverFlag(values, io);
  const keyPath = need(values, 'key');
  const model = modelFlag(values);
  const flag = values.adult === undefined ? undefined : adultFlag(values);
  if (flag !== undefined && model === undefined) throw new UsageError('--adult needs --model KEY: a non-interactive decision is about one model');
  const log = decisionLog(values, keyPath);
  const id = await loadKey(values, io);
  let docs = await listPending(server, id);
  if (model !== undefined) {
    docs = docs.filter((d) => d.modelKey === model);
    if (docs.length === 0) throw new VerifierServerError('NOT_PENDING', `no pending document for ${model}`);
  }
  if (docs.length === 0) {
    io.err('no pending documents');
    return 0;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'livecam-review-'));
  chmodSync(tmp, 0o700);
  // Ctrl-C while the human looks at a document must not leave it on disk.
  const onSignal = (signal: NodeJS.Signals) => {
    rmSync(tmp, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let failures = 0;
  try {
    for (const pending of docs) {
      let doc: OpenedDocument;
      try {
        doc = await openDocument(id, pending.sealedDocument);
      } catch (err) {
        if (!(err instanceof CryptoError)) throw err;
        io.err(`${pending.modelKey}: ${err.code}: ${err.message}; skipped`);
        failures++;
        continue;
      }
      if (doc.modelKey !== pending.modelKey) {
        io.err(`${pending.modelKey}: the document inside is signed by another model (${doc.modelKey}); skipped`);
        failures++;
        continue;
      }
      const file = join(tmp, `document${EXTENSIONS[doc.mimeType.toLowerCase()] ?? '.bin'}`);
      writePrivate(file, doc.document);
      try {
        io.out(describe(doc));
        io.err(`document of ${doc.modelKey} (${doc.mimeType}) is at ${file}, readable by you only; it is deleted after the decision`);
        const answer = flag !== undefined ? flag === 'yes' : await askAdult(io, doc.modelKey);
        if (answer === null) throw new UsageError('input ended before a decision; nothing was signed for this document');
        if (answer === 'skip') {
          io.err(`${doc.modelKey}: skipped, still pending`);
          continue;
        }
        const attestation = await signAttestation(id, { modelKey: doc.modelKey, adult: answer });
        logDecision(log, doc, attestation);
        try {
          const res = await postAttestation(server, attestation);
          io.out(JSON.stringify({ modelKey: res.modelKey, adult: answer, status: res.status }));
          io.err(`decision for ${doc.modelKey}: ${answer ? 'adult' : 'NOT adult'}; logged to ${log}; server status ${res.status}`);
        } catch (err) {
          if (!(err instanceof VerifierServerError)) throw err;
          const saved = join(dirname(log), `attestation-${doc.modelKey}.json`);
          writePrivate(saved, `${JSON.stringify(attestation)}\n`);
          io.err(`${err.code}: ${err.message}; the signed decision is saved in ${saved}: retry with verifier submit --server ${server} --in ${saved}`);
          failures++;
        }
      } finally {
        rmSync(file, { force: true });
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return failures === 0 ? 0 : 1;
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

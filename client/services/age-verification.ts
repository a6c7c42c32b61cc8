/**
 * The model's age verification in the browser: the status (none, pending, verified, rejected, and when it ends)
 * kept live from the server's pushes, the choice of the verifier to seal to, and the submission of a document
 * sealed here (crypto/age.ts `sealDocument`: a libsodium sealed box to the verifier's key, signed by the model's
 * identity). The document's bytes never leave this browser unsealed: only the sealed blob goes to the server.
 *
 * Which key: the server lists the verifiers it accepts (`age:status` `verifierKeys`), but a lying server could
 * list a key of its own and read every document. So a key counts only when it came from outside the server: in
 * the verifier's own link (`#/verify/<key>`, as a model's key travels in `#/watch/<key>`), or after the model
 * compared its fingerprint (client/services/key-visual.ts, 60 bits) with the one the verifier publishes. Once
 * used, the key is pinned for the identity in IndexedDB; a server that later names another one is shown as a
 * change (VERIFIER_CHANGED) that needs the fingerprint check again.
 */
import { createStore, get, set, type UseStore } from 'idb-keyval';
import { toBase64url } from '../../crypto/encoding.ts';
import { AGE_DOCUMENT_PATH, LIMITS, PublicKey, type AgeStatus } from '../../signaling/protocol.ts';
import { ClientError, isClientErrorCode, toClientError } from '../errors.ts';
import { Emitter } from './emitter.ts';
import { keyVisual, pseudonymFor } from './key-visual.ts';
import type { Session } from './session.ts';

/** Media types a document may have: what a phone photo or a scan is. */
export const DOCUMENT_TYPES: readonly string[] = ['image/jpeg', 'image/png', 'image/webp', 'application/pdf'];
/**
 * What sealing adds to a document: the length prefix, the signed header (at most 4 KiB, crypto/age.ts
 * `openDocument`) and the sealed box's ephemeral key and tag (48 bytes).
 */
const SEAL_OVERHEAD = 4 + 4096 + 48;
/** The largest document the server can take once sealed (its HTTP upload limit). */
export const MAX_DOCUMENT_BYTES = LIMITS.ageDocumentMaxBytes - SEAL_OVERHEAD;

/** What the page shows of the model's verification. */
export interface AgeState {
  status: AgeStatus;
  /** ms since the epoch: when a verified status ends, or a pending document is deleted unread; null: no end. */
  expiresAt: number | null;
  /** Going live needs `verified` on this server. */
  required: boolean;
  /** The verifiers the server says it accepts (its word only). */
  verifierKeys: string[];
}

/** The verifier a document would be sealed to, and why this browser trusts it. */
export interface VerifierChoice {
  key: string;
  /** `link`: the verifier's own link; `pinned`: sealed to before from this browser; `server`: the server's word only. */
  source: 'link' | 'pinned' | 'server';
  /** The key's fingerprint and name to compare with what the verifier publishes. */
  fingerprint: string;
  name: string;
  /** For a `server` choice, the pinned key the server no longer accepts (the verifier changed, or the server lies). */
  replaces: string | null;
}

export interface AgeVerificationEvents {
  change: [state: AgeState];
}

export interface AgeVerificationOptions {
  /** The model's session (logged in on first use). */
  session: Session;
  /** Origin of the upload route (default this page's). */
  origin?: string;
  /** IndexedDB database of pinned verifier keys (default `livecam-verifier`; tests use their own). */
  dbName?: string;
}

export class AgeVerification {
  readonly events = new Emitter<AgeVerificationEvents>();
  readonly #session: Session;
  readonly #origin: string;
  readonly #pins: UseStore;
  readonly #stopListening: () => void;
  #state: AgeState | null = null;
  #closed = false;

  constructor(options: AgeVerificationOptions) {
    this.#session = options.session;
    this.#origin = options.origin ?? location.origin;
    this.#pins = createStore(options.dbName ?? 'livecam-verifier', 'pins');
    // The push carries the status only: the reread brings its end too.
    this.#stopListening = this.#session.listen('age:status', () => void this.refresh().catch(() => undefined));
  }

  /** The latest state, or null before the first read. */
  get state(): AgeState | null { return this.#state; }

  /** Reads the status from the server and tells listeners. */
  async refresh(): Promise<AgeState> {
    this.#open();
    await this.#session.login();
    const r = await this.#session.request('age:status', {});
    const keys = Array.isArray(r.verifierKeys) ? r.verifierKeys.filter((k) => PublicKey.safeParse(k).success) : [];
    this.#state = { status: r.status, expiresAt: typeof r.expiresAt === 'number' ? r.expiresAt : null, required: r.required === true, verifierKeys: keys };
    if (!this.#closed) this.events.emit('change', this.#state);
    return this.#state;
  }

  /**
   * The verifier to seal to: the link's key (refused with VERIFIER_UNTRUSTED if the server does not accept it),
   * else the one pinned for this identity if the server still accepts it, else the server's first (to confirm by
   * fingerprint). Null when the server accepts no verifier.
   */
  async chooseVerifier(linkKey?: string): Promise<VerifierChoice | null> {
    const state = this.#state ?? await this.refresh();
    if (linkKey !== undefined) {
      if (!PublicKey.safeParse(linkKey).success || !state.verifierKeys.includes(linkKey)) {
        throw new ClientError('VERIFIER_UNTRUSTED', 'the server does not list the verifier key of the link');
      }
      return choice(linkKey, 'link', null);
    }
    const pinned = await this.#pinned();
    if (pinned && state.verifierKeys.includes(pinned)) return choice(pinned, 'pinned', null);
    const offered = state.verifierKeys[0];
    return offered ? choice(offered, 'server', pinned ?? null) : null;
  }

  /**
   * Seals `file` to `verifier` here and hands the server the sealed blob only (over the socket when it fits a
   * frame, else the upload route). A `server` choice needs `fingerprintChecked`: the model compared it. The key
   * is pinned for the identity once the server took the document. Returns the new state.
   */
  async submit(file: Blob, verifier: VerifierChoice, fingerprintChecked = false): Promise<AgeState> {
    this.#open();
    if (verifier.source === 'server' && !fingerprintChecked) {
      throw new ClientError('VERIFIER_UNTRUSTED', 'the verifier key is only the server\'s word: its fingerprint must be checked first');
    }
    checkDocument(file);
    const info = await this.#session.login();
    const identity = await this.#session.identity();
    const bytes = new Uint8Array(await file.arrayBuffer());
    let sealed: Uint8Array;
    try {
      const { sealDocument } = await import('../../crypto/age.ts');
      sealed = await sealDocument(verifier.key, bytes, identity, { mimeType: file.type });
    } catch (err) {
      throw toClientError(err);
    } finally {
      bytes.fill(0); // the only plaintext copy this code made
    }
    if (sealed.length > LIMITS.ageDocumentMaxBytes) throw new ClientError('DOCUMENT_TOO_LARGE', `sealed document of ${sealed.length} bytes`);
    const text = toBase64url(sealed);
    if (text.length <= LIMITS.ageDocumentMaxLength) {
      await this.#session.request('age:submit', { sealedDocument: text, verifierKey: verifier.key });
    } else {
      await this.#upload(sealed, verifier.key, info.token);
    }
    await this.#pin(verifier.key);
    return this.refresh();
  }

  async #upload(sealed: Uint8Array, verifierKey: string, token: string): Promise<void> {
    const url = new URL(`${AGE_DOCUMENT_PATH}?verifierKey=${encodeURIComponent(verifierKey)}`, this.#origin);
    const res = await fetch(url, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: new Blob([sealed as Uint8Array<ArrayBuffer>]),
    }).catch((cause) => { throw new ClientError('NETWORK', 'cannot reach the server', { cause }); });
    if (res.status === 413) throw new ClientError('DOCUMENT_TOO_LARGE', 'the server refused the size');
    const body = await res.json().catch(() => null) as { error?: { code?: unknown; message?: unknown } } | null;
    if (res.ok && body && !body.error) return;
    const code = body?.error?.code;
    throw new ClientError(isClientErrorCode(code) ? code : 'NETWORK', String(body?.error?.message ?? res.statusText));
  }

  async #pinned(): Promise<string | undefined> {
    const { key } = await this.#session.login();
    try {
      return await get<string>(key, this.#pins);
    } catch (cause) {
      throw new ClientError('STORAGE_UNAVAILABLE', 'cannot read the pinned verifier', { cause });
    }
  }

  async #pin(verifierKey: string): Promise<void> {
    const { key } = await this.#session.login();
    try {
      await set(key, verifierKey, this.#pins);
    } catch (cause) {
      throw new ClientError('STORAGE_UNAVAILABLE', 'cannot pin the verifier', { cause });
    }
  }

  /** Stops following the status; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopListening();
    this.events.clear();
  }

  #open(): void {
    if (this.#closed) throw new ClientError('CONFLICT', 'age verification is closed');
  }
}

/** Refuses, before any work, a file the server could not take or the verifier could not read. */
export function checkDocument(file: Blob): void {
  if (file.size === 0 || !DOCUMENT_TYPES.includes(file.type)) throw new ClientError('DOCUMENT_UNSUPPORTED', `document of type '${file.type}', ${file.size} bytes`);
  if (file.size > MAX_DOCUMENT_BYTES) throw new ClientError('DOCUMENT_TOO_LARGE', `document of ${file.size} bytes, at most ${MAX_DOCUMENT_BYTES}`);
}

function choice(key: string, source: VerifierChoice['source'], replaces: string | null): VerifierChoice {
  return { key, source, fingerprint: keyVisual(key).fingerprint, name: pseudonymFor(key), replaces };
}

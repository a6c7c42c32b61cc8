/**
 * The signaling state, written once over the `Kv` vocabulary so the memory
 * backend (one process) and the Redis backend (many processes) behave the
 * same. Every key starts with one of `KEY_PREFIXES`; ephemeral state (presence,
 * shows, viewers, mutes, slow-mode slots, challenges, private sessions,
 * pending age documents) always carries a TTL. Persistent keys hold nothing
 * personal: prices, bans (pseudonymous keys), channel high-water marks,
 * wrapped data keys and ciphertext.
 */
import type { DirectoryEntry, KeptVoucher, ModelStatus, Role, TipGoal, TipMenuItem } from './protocol.ts';
import { compareDecimal, type Kv } from './kv.ts';
import { fail } from './errors.ts';
import { MemoryKv } from './kv-memory.ts';
import { SignalingError } from './errors.ts';

/** Every prefix the store writes, with whether keys under it must carry a TTL. */
export const KEY_PREFIXES = {
  'lc:model:': { ephemeral: false }, // price and minimum minutes of a model
  'lc:presence:': { ephemeral: true }, // status and show of a connected model
  'lc:online': { ephemeral: false }, // set of model keys with presence (members pruned when presence expires)
  'lc:show:': { ephemeral: true }, // an open public show
  'lc:viewers:': { ephemeral: true }, // viewer count of a show, as its SFU engine reports it
  'lc:watch:': { ephemeral: true }, // shows an identity watches, for resume
  'lc:ban:': { ephemeral: false }, // keys a model banned
  'lc:mute:': { ephemeral: true }, // a mute in one show
  'lc:slow:': { ephemeral: true }, // slow-mode slot of one sender
  'lc:sess:': { ephemeral: true }, // role of a live session, by its token's random id (deleted: revoked)
  'lc:sessof:': { ephemeral: true }, // session ids of an identity, to revoke them all
  'lc:chal:': { ephemeral: true }, // issued login challenges, deleted when used
  'lc:priv:': { ephemeral: true }, // a private session
  'lc:privof:': { ephemeral: true }, // private sessions of an identity
  'lc:privreq:': { ephemeral: true }, // a client's pending request to a model (one at a time)
  'lc:chan:': { ephemeral: false }, // highest voucher amount seen per channel
  'lc:wallet:': { ephemeral: false }, // legacy plaintext wallet of an identity: sealed into lc:rec:<key>:wallet on first read
  'lc:dk:': { ephemeral: false }, // wrapped per-user data key
  'lc:rec:': { ephemeral: false }, // encrypted user record
  'lc:age:pending:': { ephemeral: true }, // sealed age document awaiting the verifier
  'lc:age:queue': { ephemeral: false }, // set of model keys with a pending document
  'lc:age:att:': { ephemeral: false }, // verifier attestation
  'lc:rl:': { ephemeral: true }, // rate limiter counters
  'lc:kept:': { ephemeral: false }, // a channel's latest voucher, kept for its model (their money: voucher, both addresses, time)
  'lc:keptby:': { ephemeral: false }, // channel ids with a kept voucher, by receiver wallet address
  'lc:settling:': { ephemeral: true }, // one settlement watcher's claim on a channel while it submits
  'lc:sfuhost:': { ephemeral: true }, // an SFU host's load and public URL, by its heartbeat (sfu/registry.ts)
  'lc:sfuhosts': { ephemeral: false }, // set of SFU host ids (members pruned when their entry expires)
  'lc:sfuev:': { ephemeral: false }, // an SFU host's engine events, a capped stream (sfu/host-events.ts)
  'lc:sfulease:': { ephemeral: true }, // which signaling process follows an SFU host's events (signaling/remote-sfu.ts)
  'lc:sfupos:': { ephemeral: true }, // the last event of a host's stream that signaling applied
  'lc:tipmenu:': { ephemeral: false }, // a model's public tip menu (signaling/tips.ts)
  'lc:tipgoal:': { ephemeral: false }, // a model's public tip goal and its progress in the current show
} as const;

/** A wallet bound to an identity, with both signatures of contracts/wallet-binding.ts (so a browser can check it). */
export interface WalletBinding { address: string; walletSignature: string; identitySignature: string }

/** Seals and opens an identity's records under its data key (records.ts `Records`): deleting the key shreds them. */
export interface RecordSealer {
  seal(key: string, kind: string, value: unknown): Promise<string>;
  /** null once the data key is gone. */
  open<T>(key: string, kind: string, sealed: string): Promise<T | null>;
}

export interface ModelSettings { pricePerMinute: string; minMinutes: number }
export interface Presence { status: ModelStatus; showId: string | null; pseudonym: string }
export interface ShowRecord {
  showId: string; model: string; openedAt: number; slowModeSeconds: number;
  /** The SFU host holding the show (signaling/sfu-hosts.ts): its WHIP and its viewers' WHEP go there. */
  host: string;
}

export type PrivateState = 'requested' | 'active' | 'ended';
export interface PrivateSession {
  id: string;
  client: string;
  clientPseudonym: string;
  model: string;
  modelPseudonym: string;
  pricePerMinute: string;
  minMinutes: number;
  channelId: string;
  state: PrivateState;
  createdAt: number;
  /** Accept time (ms), 0 before. */
  startedAt: number;
  /** Channel amount already owed when the session started; minutes are paid above it. */
  baseline: string;
  /** Minutes prepaid so far. */
  paidMinutes: number;
}

export class Store {
  // Private: every key is written through a method here, so its prefix, type and TTL are decided in one place.
  readonly #kv: Kv;
  #sealer: RecordSealer | null = null;

  constructor(kv: Kv = new MemoryKv()) {
    this.#kv = kv;
  }

  /** Where records that must die with the identity are sealed (the wallet binding); set once by server.ts. */
  sealWith(sealer: RecordSealer): void {
    this.#sealer = sealer;
  }

  /** Every stored key starting with `prefix`: an administrative scan, not for hot paths (tests audit prefixes with it). */
  keys(prefix: string): Promise<string[]> {
    return this.#kv.keys(prefix);
  }

  // --- models and presence -------------------------------------------------
  async getSettings(model: string): Promise<ModelSettings> {
    const h = await this.#kv.hgetall(`lc:model:${model}`);
    return { pricePerMinute: h.price ?? '0', minMinutes: Number(h.min ?? 1) };
  }

  async setSettings(model: string, s: ModelSettings): Promise<void> {
    await this.#kv.hset(`lc:model:${model}`, { price: s.pricePerMinute, min: String(s.minMinutes) });
  }

  async setPresence(model: string, p: Presence, ttlMs: number): Promise<void> {
    await this.#kv.hset(`lc:presence:${model}`, { status: p.status, show: p.showId ?? '', pseudonym: p.pseudonym }, { ttlMs });
    await this.#kv.sadd('lc:online', model);
  }

  async getPresence(model: string): Promise<Presence | null> {
    const h = await this.#kv.hgetall(`lc:presence:${model}`);
    if (!h.status) return null;
    return { status: h.status as ModelStatus, showId: h.show || null, pseudonym: h.pseudonym ?? '' };
  }

  /** Extends the TTL of a model's presence; false when it had expired. */
  refreshPresence(model: string, ttlMs: number): Promise<boolean> {
    return this.#kv.expire(`lc:presence:${model}`, ttlMs);
  }

  async clearPresence(model: string): Promise<void> {
    await this.#kv.del(`lc:presence:${model}`);
    await this.#kv.srem('lc:online', model);
  }

  async entry(model: string, presence?: Presence | null): Promise<DirectoryEntry | null> {
    const p = presence === undefined ? await this.getPresence(model) : presence;
    if (!p) return null;
    const s = await this.getSettings(model);
    const viewers = p.showId ? await this.viewerCount(p.showId) : 0;
    return { key: model, pseudonym: p.pseudonym, status: p.status, pricePerMinute: s.pricePerMinute, minMinutes: s.minMinutes, showId: p.showId, viewers };
  }

  /** Every model with live presence; prunes members whose presence expired. */
  async listOnline(): Promise<DirectoryEntry[]> {
    const out: DirectoryEntry[] = [];
    for (const model of await this.#kv.smembers('lc:online')) {
      const e = await this.entry(model);
      if (e) out.push(e);
      else await this.#kv.srem('lc:online', model);
    }
    return out.sort((a, b) => b.viewers - a.viewers || a.pseudonym.localeCompare(b.pseudonym));
  }

  // --- shows ------------------------------------------------------------------
  /** Opens a show; without `host`, on the embedded SFU's (`local`). */
  async openShow(show: Omit<ShowRecord, 'host'> & { host?: string }, ttlMs: number): Promise<void> {
    await this.#kv.hset(`lc:show:${show.showId}`, { model: show.model, openedAt: String(show.openedAt), slow: String(show.slowModeSeconds), host: show.host ?? 'local' }, { ttlMs });
  }

  /** Moves an open show to another SFU host (its host is gone or draining when the model publishes again). */
  async setShowHost(showId: string, host: string): Promise<void> {
    await this.#kv.hset(`lc:show:${showId}`, { host }, { xx: true });
  }

  async getShow(showId: string): Promise<ShowRecord | null> {
    const h = await this.#kv.hgetall(`lc:show:${showId}`);
    if (!h.model) return null;
    return { showId, model: h.model, openedAt: Number(h.openedAt), slowModeSeconds: Number(h.slow ?? 0), host: h.host ?? 'local' };
  }

  async refreshShow(showId: string, ttlMs: number): Promise<void> {
    await this.#kv.expire(`lc:show:${showId}`, ttlMs);
    await this.#kv.expire(`lc:viewers:${showId}`, ttlMs);
  }

  async setSlowMode(showId: string, seconds: number): Promise<void> {
    // Only an open show: a write after it closed would leave a key without TTL.
    await this.#kv.hset(`lc:show:${showId}`, { slow: String(seconds) }, { xx: true });
  }

  async closeShow(showId: string): Promise<boolean> {
    const n = await this.#kv.del(`lc:show:${showId}`);
    await this.#kv.del(`lc:viewers:${showId}`);
    return n > 0;
  }

  async addWatching(key: string, showId: string, ttlMs: number): Promise<void> {
    await this.#kv.sadd(`lc:watch:${key}`, showId, ttlMs);
  }

  async removeWatching(key: string, showId: string): Promise<void> {
    await this.#kv.srem(`lc:watch:${key}`, showId);
  }

  watching(key: string): Promise<string[]> {
    return this.#kv.smembers(`lc:watch:${key}`);
  }

  // --- moderation -------------------------------------------------------------
  async ban(model: string, target: string): Promise<void> {
    await this.#kv.sadd(`lc:ban:${model}`, target);
  }

  async unban(model: string, target: string): Promise<void> {
    await this.#kv.srem(`lc:ban:${model}`, target);
  }

  isBanned(model: string, target: string): Promise<boolean> {
    return this.#kv.sismember(`lc:ban:${model}`, target);
  }

  async mute(showId: string, target: string, ttlMs: number): Promise<void> {
    await this.#kv.set(`lc:mute:${showId}:${target}`, '1', { ttlMs });
  }

  /** Remaining mute in ms, 0 when not muted. */
  async mutedFor(showId: string, target: string): Promise<number> {
    const t = await this.#kv.pttl(`lc:mute:${showId}:${target}`);
    return t > 0 ? t : t === -1 ? Number.MAX_SAFE_INTEGER : 0;
  }

  /** Claims the sender's slow-mode slot; false when the previous one has not expired. */
  claimSlowModeSlot(showId: string, sender: string, seconds: number): Promise<boolean> {
    return this.#kv.set(`lc:slow:${showId}:${sender}`, '1', { ttlMs: seconds * 1000, nx: true });
  }

  // --- login ------------------------------------------------------------------
  /** Remembers an issued challenge nonce until it expires. */
  async issueChallenge(nonce: string, ttlMs: number): Promise<void> {
    await this.#kv.set(`lc:chal:${nonce}`, '1', { ttlMs });
  }

  /** True exactly once for an issued, unexpired nonce (atomic delete). */
  async consumeChallenge(nonce: string): Promise<boolean> {
    return (await this.#kv.del(`lc:chal:${nonce}`)) === 1;
  }

  /** Opens a session: its role by the token's random id, indexed by identity, for as long as the token lives. */
  async openSession(sessionId: string, key: string, role: Role, ttlMs: number): Promise<void> {
    await this.#kv.set(`lc:sess:${sessionId}`, role, { ttlMs });
    await this.#kv.sadd(`lc:sessof:${key}`, sessionId, ttlMs);
  }

  /** The role a session was opened for; null once it expired or was revoked. */
  sessionRole(sessionId: string): Promise<string | null> {
    return this.#kv.get(`lc:sess:${sessionId}`);
  }

  async revokeSession(sessionId: string): Promise<void> {
    await this.#kv.del(`lc:sess:${sessionId}`);
  }

  /** Revokes every session of an identity. */
  async revokeSessionsOf(key: string): Promise<void> {
    const ids = await this.#kv.smembers(`lc:sessof:${key}`);
    await this.#kv.del(...ids.map((id) => `lc:sess:${id}`), `lc:sessof:${key}`);
  }

  // --- wallets and channels -----------------------------------------------------
  // The identity-to-wallet link is personal: sealed under the identity's data key (lc:rec:<key>:wallet), so
  // account deletion (and master-key rotation, for backups) shreds it like the profile.

  /** Binds a wallet without its signatures (getWalletBinding then answers null). */
  async setWallet(key: string, address: string): Promise<void> {
    await this.#putWallet(key, { address: address.toLowerCase() });
  }

  /** Binds a wallet with both signatures, checked by the caller (session.ts `wallet:bind`). */
  async setWalletBinding(key: string, b: WalletBinding): Promise<void> {
    await this.#putWallet(key, { address: b.address.toLowerCase(), walletSignature: b.walletSignature, identitySignature: b.identitySignature });
  }

  /** The wallet address (lower case) bound to an identity, or null. */
  async getWallet(key: string): Promise<string | null> {
    return (await this.#wallet(key))?.address ?? null;
  }

  /** The binding with both signatures, or null (none, or bound without them). */
  async getWalletBinding(key: string): Promise<WalletBinding | null> {
    const w = await this.#wallet(key);
    return w?.walletSignature && w.identitySignature ? { address: w.address, walletSignature: w.walletSignature, identitySignature: w.identitySignature } : null;
  }

  async #putWallet(key: string, w: Partial<WalletBinding> & { address: string }): Promise<void> {
    await this.#kv.set(`lc:rec:${key}:wallet`, await this.#sealerOrFail().seal(key, 'wallet', w));
    await this.#kv.del(`lc:wallet:${key}`);
  }

  async #wallet(key: string): Promise<(Partial<WalletBinding> & { address: string }) | null> {
    const sealed = await this.#kv.get(`lc:rec:${key}:wallet`);
    if (sealed !== null) return this.#sealerOrFail().open(key, 'wallet', sealed);
    const legacy = await this.#kv.get(`lc:wallet:${key}`);
    if (legacy === null) return null;
    await this.#putWallet(key, { address: legacy }); // from before sealing: sealed now, the plaintext deleted
    return { address: legacy };
  }

  #sealerOrFail(): RecordSealer {
    if (!this.#sealer) fail('INTERNAL', 'wallet bindings are sealed records: the store needs sealWith first');
    return this.#sealer;
  }

  /** Highest voucher amount accepted on a channel ('0' when none). */
  async channelHighWater(channelId: string): Promise<string> {
    return (await this.#kv.get(`lc:chan:${channelId.toLowerCase()}`)) ?? '0';
  }

  /** Raises the channel's high-water mark; refuses (replaced false) when not strictly greater. */
  raiseChannelHighWater(channelId: string, amount: string): Promise<{ previous: string | null; replaced: boolean }> {
    return this.#kv.setIfGreater(`lc:chan:${channelId.toLowerCase()}`, amount);
  }

  // --- private sessions ---------------------------------------------------------
  async putPrivate(s: PrivateSession, ttlMs: number): Promise<void> {
    await this.#kv.set(`lc:priv:${s.id}`, JSON.stringify(s), { ttlMs });
    for (const k of [s.client, s.model]) await this.#kv.sadd(`lc:privof:${k}`, s.id, ttlMs);
  }

  async getPrivate(id: string): Promise<PrivateSession | null> {
    const v = await this.#kv.get(`lc:priv:${id}`);
    return v ? (JSON.parse(v) as PrivateSession) : null;
  }

  /** Claims a one-time transition of a session (`answer`, `end`); false when another caller won. */
  claimPrivateTransition(id: string, what: 'answer' | 'end', ttlMs: number): Promise<boolean> {
    return this.#kv.set(`lc:priv:${id}:${what}`, '1', { ttlMs, nx: true });
  }

  /** Claims the one pending request a client may have with a model; false when one is pending. */
  claimPendingRequest(client: string, model: string, sessionId: string, ttlMs: number): Promise<boolean> {
    return this.#kv.set(`lc:privreq:${client}:${model}`, sessionId, { ttlMs, nx: true });
  }

  /** Frees the client's one pending request to the model (the request was answered). */
  async clearPendingRequest(client: string, model: string): Promise<void> {
    await this.#kv.del(`lc:privreq:${client}:${model}`);
  }

  async deletePrivate(s: PrivateSession): Promise<void> {
    await this.#kv.del(`lc:priv:${s.id}`, `lc:privreq:${s.client}:${s.model}`);
    for (const k of [s.client, s.model]) await this.#kv.srem(`lc:privof:${k}`, s.id);
  }

  privateSessionsOf(key: string): Promise<string[]> {
    return this.#kv.smembers(`lc:privof:${key}`);
  }

  // --- encrypted records ----------------------------------------------------------
  // The wrapped per-user data keys of crypto/vault.ts (records.ts `StoreDataKeys`).
  getDataKey(key: string): Promise<string | null> {
    return this.#kv.get(`lc:dk:${key}`);
  }

  /** Stores a wrapped data key unless one exists; false when one does. */
  createDataKey(key: string, wrapped: string): Promise<boolean> {
    return this.#kv.set(`lc:dk:${key}`, wrapped, { nx: true });
  }

  /** Replaces a wrapped data key only while it is still `expected` (a concurrent rewrap wins once). */
  replaceDataKey(key: string, expected: string, wrapped: string): Promise<boolean> {
    return this.#kv.compareAndSet(`lc:dk:${key}`, expected, wrapped);
  }

  async deleteDataKey(key: string): Promise<void> {
    await this.#kv.del(`lc:dk:${key}`);
  }

  /** Every identity that holds a data key (an administrative scan: rotation of the master key). */
  async dataKeyOwners(): Promise<string[]> {
    return (await this.#kv.keys('lc:dk:')).map((k) => k.slice('lc:dk:'.length));
  }

  getRecord(key: string, name: string): Promise<string | null> {
    return this.#kv.get(`lc:rec:${key}:${name}`);
  }

  async putRecord(key: string, name: string, ciphertext: string): Promise<void> {
    await this.#kv.set(`lc:rec:${key}:${name}`, ciphertext);
  }

  // --- age verification -------------------------------------------------------------
  async putAgeDocument(model: string, value: string, ttlMs: number): Promise<void> {
    await this.#kv.set(`lc:age:pending:${model}`, value, { ttlMs });
    await this.#kv.sadd('lc:age:queue', model);
  }

  /** Model keys in the queue after `after`, in order (a page is read from here). */
  async pendingAgeModels(after = ''): Promise<string[]> {
    return (await this.#kv.smembers('lc:age:queue')).filter((m) => m > after).sort();
  }

  /** A model's pending document; null (and pruned from the queue) once it expired. */
  async pendingAgeDocument(model: string): Promise<string | null> {
    const value = await this.#kv.get(`lc:age:pending:${model}`);
    if (value === null) await this.#kv.srem('lc:age:queue', model);
    return value;
  }

  /** How many documents the queue holds; expired ones count until a read prunes them, or `prune` does now. */
  async pendingAgeDocumentCount(prune = false): Promise<number> {
    if (prune) {
      for (const model of await this.#kv.smembers('lc:age:queue')) {
        if (!await this.hasPendingAgeDocument(model)) await this.#kv.srem('lc:age:queue', model);
      }
    }
    return this.#kv.scard('lc:age:queue');
  }

  async hasPendingAgeDocument(model: string): Promise<boolean> {
    return (await this.#kv.pttl(`lc:age:pending:${model}`)) !== -2;
  }

  async dropAgeDocument(model: string): Promise<void> {
    await this.#kv.del(`lc:age:pending:${model}`);
    await this.#kv.srem('lc:age:queue', model);
  }

  /** Stores a model's attestation only while the stored one is still `expected` (null: none); true when stored. */
  replaceAttestation(model: string, expected: string | null, attestation: string): Promise<boolean> {
    const key = `lc:age:att:${model}`;
    return expected === null ? this.#kv.set(key, attestation, { nx: true }) : this.#kv.compareAndSet(key, expected, attestation);
  }

  getAttestation(model: string): Promise<string | null> {
    return this.#kv.get(`lc:age:att:${model}`);
  }

  // --- deletion ---------------------------------------------------------------------
  /**
   * Removes everything stored about an identity. The data key goes first: once
   * it is gone, any copy of the ciphertext (a snapshot, a backup) is noise.
   */
  async deleteIdentity(key: string): Promise<void> {
    await this.#kv.del(`lc:dk:${key}`);
    await this.revokeSessionsOf(key);
    const records = await this.#kv.keys(`lc:rec:${key}:`);
    // The rate-limit counters too (limits.ts, chat.ts): nothing that names the key outlives it, even for a second.
    await this.#kv.del(...records, `lc:wallet:${key}`, `lc:model:${key}`, `lc:ban:${key}`, `lc:watch:${key}`, `lc:age:att:${key}`,
      `lc:rl:ev:${key}`, `lc:rl:chat:${key}`, `lc:tipmenu:${key}`, `lc:tipgoal:${key}`);
    await this.dropAgeDocument(key);
    await this.clearPresence(key);
  }

  close(): Promise<void> {
    return this.#kv.close();
  }

  // --- kept vouchers and their settlement ---------------------------------------------
  // Each channel's latest voucher is the model's money, not a secret: it is kept (with both addresses and the
  // time, nothing else) so that any device of the model, or the platform's settlement watcher, can settle it.

  /**
   * Keeps `v` as its channel's voucher when its amount is strictly above the one kept (or none is): atomic per
   * channel across processes (compare-and-set on the channel's key). True when `v` is now the kept one.
   */
  async keepVoucher(v: KeptVoucher): Promise<boolean> {
    const channelId = v.channelId.toLowerCase();
    const receiver = v.receiver.toLowerCase();
    const key = `lc:kept:${channelId}`;
    const kept: KeptVoucher = {
      channelId, cumulativeAmount: v.cumulativeAmount, signature: v.signature,
      sender: v.sender.toLowerCase(), receiver, updatedAt: v.updatedAt,
    };
    const value = JSON.stringify(kept);
    // Indexed first: an index entry whose voucher is missing is skipped on read, a voucher missing from the index is not.
    await this.#kv.sadd(`lc:keptby:${receiver}`, channelId);
    for (;;) {
      const current = await this.#kv.get(key);
      if (current === null) {
        if (await this.#kv.set(key, value, { nx: true })) return true;
        continue;
      }
      const held = JSON.parse(current) as KeptVoucher;
      if (compareDecimal(kept.cumulativeAmount, held.cumulativeAmount) <= 0) return false;
      if (await this.#kv.compareAndSet(key, current, value)) return true;
    }
  }

  /** The voucher kept for a channel, or null. */
  async keptVoucher(channelId: string): Promise<KeptVoucher | null> {
    const v = await this.#kv.get(`lc:kept:${channelId.toLowerCase()}`);
    return v ? (JSON.parse(v) as KeptVoucher) : null;
  }

  /** Every voucher kept for channels paying `receiver` (a wallet address), newest first. */
  async keptVouchersFor(receiver: string): Promise<KeptVoucher[]> {
    const out: KeptVoucher[] = [];
    for (const channelId of await this.#kv.smembers(`lc:keptby:${receiver.toLowerCase()}`)) {
      const v = await this.keptVoucher(channelId);
      if (v) out.push(v);
    }
    return out.sort((a, b) => b.updatedAt - a.updatedAt || a.channelId.localeCompare(b.channelId));
  }

  /** Claims a channel for one settlement submission; false while another watcher holds the claim. */
  claimSettlement(channelId: string, ttlMs: number): Promise<boolean> {
    return this.#kv.set(`lc:settling:${channelId.toLowerCase()}`, '1', { ttlMs, nx: true });
  }

  async releaseSettlement(channelId: string): Promise<void> {
    await this.#kv.del(`lc:settling:${channelId.toLowerCase()}`);
  }

  // --- viewer counts (signaling/follow-sfu.ts) ----------------------------------------
  /** Records a show's viewer count as the SFU engine reported it; it expires with the show. */
  async setViewerCount(showId: string, viewers: number, ttlMs: number): Promise<void> {
    await this.#kv.set(`lc:viewers:${showId}`, String(viewers), { ttlMs });
  }

  /** The show's viewer count last reported by its SFU engine (0 before any report). */
  async viewerCount(showId: string): Promise<number> {
    return Number(await this.#kv.get(`lc:viewers:${showId}`) ?? 0);
  }

  // --- private calls: metering state, re-arming after a restart (signaling/private*.ts) ----------
  /**
   * Rewrites a private session through `update` only while no other writer changed it in between (retried on a
   * race, so two processes recording vouchers never lose one); keeps the record's TTL. Resolves with what was
   * written, or null when the session is gone or `update` returned null.
   */
  async updatePrivate(id: string, update: (current: PrivateSession) => PrivateSession | null): Promise<PrivateSession | null> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const raw = await this.#kv.get(`lc:priv:${id}`);
      if (!raw) return null;
      const next = update(JSON.parse(raw) as PrivateSession);
      if (!next) return null;
      if (await this.#kv.compareAndSet(`lc:priv:${id}`, raw, JSON.stringify(next))) return next;
    }
    throw new SignalingError('INTERNAL', `private session ${id}: too many concurrent updates`);
  }

  /** Remembers an active session, so a process that starts later re-arms its payment timer. */
  async addActivePrivate(id: string, ttlMs: number): Promise<void> {
    await this.#kv.sadd('lc:priv:active', id, ttlMs);
  }

  async removeActivePrivate(id: string): Promise<void> {
    await this.#kv.srem('lc:priv:active', id);
  }

  activePrivateIds(): Promise<string[]> {
    return this.#kv.smembers('lc:priv:active');
  }

  // --- tip menu and goal (signaling/tips.ts): public, the model's own words ----------------------
  async setTipMenu(model: string, menu: TipMenuItem[]): Promise<void> {
    if (menu.length === 0) await this.#kv.del(`lc:tipmenu:${model}`);
    else await this.#kv.set(`lc:tipmenu:${model}`, JSON.stringify(menu));
  }

  async tipMenu(model: string): Promise<TipMenuItem[]> {
    const v = await this.#kv.get(`lc:tipmenu:${model}`);
    return v ? (JSON.parse(v) as TipMenuItem[]) : [];
  }

  async setTipGoal(model: string, goal: TipGoal | null): Promise<void> {
    if (goal === null) await this.#kv.del(`lc:tipgoal:${model}`);
    else await this.#kv.set(`lc:tipgoal:${model}`, JSON.stringify(goal));
  }

  async tipGoal(model: string): Promise<TipGoal | null> {
    const v = await this.#kv.get(`lc:tipgoal:${model}`);
    return v ? (JSON.parse(v) as TipGoal) : null;
  }

  /**
   * Adds a tip of `amount` in `showId` to the model's goal (atomic across processes: compare-and-set, retried on
   * a race); a tip in another show than the one counted so far starts the count again. Null when there is no goal.
   */
  async addTipToGoal(model: string, showId: string, amount: bigint): Promise<TipGoal | null> {
    const key = `lc:tipgoal:${model}`;
    for (let attempt = 0; attempt < 20; attempt++) {
      const raw = await this.#kv.get(key);
      if (!raw) return null;
      const goal = JSON.parse(raw) as TipGoal;
      const before = goal.showId === showId ? BigInt(goal.progress) : 0n;
      const next: TipGoal = { ...goal, showId, progress: (before + amount).toString() };
      if (await this.#kv.compareAndSet(key, raw, JSON.stringify(next))) return next;
    }
    throw new SignalingError('INTERNAL', `tip goal of ${model}: too many concurrent updates`);
  }
}

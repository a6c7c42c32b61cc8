/**
 * One client and one model of the soak, each on its own signaling session (client/services/session.ts, the
 * browser's), running paid private sessions in a loop on one payment channel. Both sides meter with the browser's
 * CallMeter (client/services/call-meter.ts on contracts/metering.ts): the client signs each minute's voucher with
 * its wallet and sends it to signaling; the model verifies each one it is relayed and keeps the highest, as its
 * voucher vault does. A voucher the client could not deliver (signaling away, the session ended meanwhile) is
 * handed over again once signaling is back, with `private:voucher` while the session runs, else `vouchers:store`,
 * as the client's call does. Every voucher the client signs is written down, to be compared with what the model
 * and the server hold at the end.
 */
import type { Wallet } from 'ethers';
import { connectChannels, type LiveChannelsClient } from '../../../contracts/client.ts';
import { bindWallet, walletBindingMessage } from '../../../contracts/wallet-binding.ts';
import { voucherDomain, voucherToJSON, type SignedVoucher } from '../../../contracts/voucher.ts';
import { createIdentity, type Identity } from '../../../crypto/identity.ts';
import { CallMeter } from '../../../client/services/call-meter.ts';
import { Session } from '../../../client/services/session.ts';
import type { ClientError } from '../../../client/errors.ts';
import type { ServerToClient } from '../../../signaling/protocol.ts';
import { TurnClient } from '../../signaling/turn-client.ts';
import type { Rng } from './rng.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const trace = (line: string) => { if (process.env.SOAK_VERBOSE === '1') console.error(`[pair] ${new Date().toISOString().slice(11, 23)} ${line}`); };
type Accepted = Parameters<ServerToClient['private:accepted']>[0];

export interface PairOptions {
  name: string;
  clientUrl: string;
  modelUrl: string;
  clientWallet: Wallet;
  modelWallet: Wallet;
  chainId: number;
  addresses: { token: string; channels: string };
  pricePerMinute: bigint;
  deposit: bigint;
  /** Port of the coturn the servers hand out credentials for. */
  turnPort: number;
  rng: Rng;
}

function session(role: 'client' | 'model', identity: Identity, url: string): Session {
  return new Session({ role, identities: { get: async () => identity }, url, timeoutMs: 8_000 });
}

async function bind(s: Session, identity: Identity, wallet: Wallet): Promise<void> {
  const info = await s.login();
  const walletSignature = await wallet.signMessage(walletBindingMessage(info.key));
  const b = await bindWallet(identity, wallet.address, walletSignature);
  await s.request('wallet:bind', { address: b.address, walletSignature, identitySignature: b.identitySignature });
}

/** Retries `fn` while signaling is away (TIMEOUT/NETWORK, or a server INTERNAL during a Redis restart). */
async function persist<T>(fn: () => Promise<T>, deadlineMs: number): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as ClientError).code;
      if (Date.now() > end || !['TIMEOUT', 'NETWORK', 'INTERNAL', 'CHAIN_UNAVAILABLE', 'UNAUTHENTICATED', 'RATE_LIMITED'].includes(code)) throw err;
      await sleep(300);
    }
  }
}

export class PrivatePair {
  readonly o: PairOptions;
  client!: Session;
  model!: Session;
  #clientId!: Identity;
  #modelId!: Identity;
  payer!: LiveChannelsClient;
  channelId = '';
  modelKey = '';
  #closed = false;
  #stop: () => void = () => undefined;
  readonly #stopping = new Promise<void>((resolve) => { this.#stop = resolve; });
  /** Every voucher the client signed, in order. */
  readonly signed: SignedVoucher[] = [];
  /** The highest voucher the model's side verified and kept. */
  modelHolds: SignedVoucher | null = null;
  /** Signed vouchers not yet known to have reached the server. */
  #undelivered: SignedVoucher | null = null;
  /** The running session's id (client side), or null. */
  #active: string | null = null;
  sessions = 0;
  minutesPaid = 0;
  endReasons = new Map<string, number>();
  turnAllocations = 0;
  turnFailures: string[] = [];
  errors = new Map<string, number>();
  /** ms from a socket's disconnect to its session being resumed (either side). */
  readonly reconnectsMs: number[] = [];

  constructor(o: PairOptions) {
    this.o = o;
  }

  async setup(): Promise<void> {
    this.#clientId = await createIdentity();
    this.#modelId = await createIdentity();
    this.client = session('client', this.#clientId, this.o.clientUrl);
    this.model = session('model', this.#modelId, this.o.modelUrl);
    for (const s of [this.client, this.model]) {
      let downAt = 0;
      s.events.on('state', (st) => { if (st === 'offline') downAt = Date.now(); });
      s.events.on('login', () => { if (downAt) { this.reconnectsMs.push(Date.now() - downAt); downAt = 0; } });
    }
    await bind(this.client, this.#clientId, this.o.clientWallet);
    await bind(this.model, this.#modelId, this.o.modelWallet);
    this.modelKey = this.model.info!.key;
    await this.model.request('model:setPrice', { pricePerMinute: this.o.pricePerMinute.toString(), minMinutes: 1 });
    this.payer = connectChannels(this.o.clientWallet, this.o.addresses);
    await this.payer.openWithPermit(this.o.modelWallet.address, this.o.deposit);
    this.channelId = (await this.payer.getChannel(this.o.clientWallet.address, this.o.modelWallet.address)).channelId;
    this.#serveAsModel();
    // Back online: hand over what signaling missed.
    this.client.events.on('login', () => void this.#flush());
  }

  #count(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  /** The model's side: accept every request, meter the call, keep the highest voucher, end a call whose payment fails. */
  #serveAsModel(): void {
    const meters = new Map<string, CallMeter>();
    const relays = new Map<string, TurnClient | null>();
    this.model.listen('private:request', (r) => {
      void (async () => {
        try {
          const t = await this.model.request('private:accept', { sessionId: r.sessionId });
          const meter = new CallMeter({
            role: 'payee', domain: voucherDomain(this.o.chainId, this.o.addresses.channels), channelId: t.channelId,
            sender: this.o.clientWallet.address, pricePerMinute: BigInt(t.pricePerMinute), deposit: this.o.deposit,
            baseline: BigInt(t.baseline), startedAt: t.startedAt, graceMs: t.graceMs, minuteMs: t.minuteMs,
          });
          meters.set(r.sessionId, meter);
          meter.events.on('accepted', (v) => {
            if (!this.modelHolds || v.cumulativeAmount > this.modelHolds.cumulativeAmount) this.modelHolds = v;
          });
          meter.events.on('ended', (e) => {
            this.#count(this.errors, `model meter: ${e.code}`);
            void this.model.request('private:end', { sessionId: r.sessionId }).catch(() => undefined);
          });
          meter.start();
          const relay = await this.#turn(t.turn.username, t.turn.credential);
          if (meters.has(r.sessionId)) relays.set(r.sessionId, relay);
          else this.#release(relay);
        } catch (err) {
          this.#count(this.errors, `model accept: ${(err as ClientError).code ?? (err as Error).message}`);
        }
      })();
    });
    this.model.listen('private:voucher', (e) => meters.get(e.sessionId)?.receive(e.voucher, e.tip, 'signaling'));
    this.model.listen('private:ended', (e) => {
      meters.get(e.sessionId)?.close();
      meters.delete(e.sessionId);
      this.#release(relays.get(e.sessionId));
      relays.delete(e.sessionId);
    });
  }

  /** Both sides allocate a relay on coturn with the session's credentials for the call, as a browser's ICE agent does. */
  async #turn(username: string, credential: string): Promise<TurnClient | null> {
    try {
      const c = await TurnClient.allocate(['127.0.0.1', this.o.turnPort], username, credential);
      this.turnAllocations++;
      return c;
    } catch (err) {
      this.turnFailures.push((err as Error).message);
      return null;
    }
  }

  /** Gives a relay back when the call is over, as a browser does (coturn's relay ports are few). */
  #release(relay: TurnClient | null | undefined): void {
    void relay?.release().catch((err: unknown) => this.turnFailures.push(`release: ${(err as Error).message}`));
  }

  /** Runs sessions until `stop()`. */
  async run(): Promise<void> {
    while (!this.#closed) {
      try {
        await this.#oneSession();
      } catch (err) {
        const e = err as ClientError;
        this.#count(this.errors, `client: ${e.code ?? ''} ${e.code === 'CONFLICT' ? e.message : ''}`.trim());
        await sleep(500);
      }
      await sleep(300 + this.o.rng.int(1200));
    }
  }

  async #oneSession(): Promise<void> {
    let onAccepted: (e: Accepted) => void = () => undefined;
    let onEnded: (e: { sessionId: string; reason: string }) => void = () => undefined;
    const stopAccepted = this.client.listen('private:accepted', (e) => onAccepted(e));
    const stopEnded = this.client.listen('private:ended', (e) => onEnded(e));
    const stopDeclined = this.client.listen('private:declined', (e) => onEnded(e));
    try {
      const { sessionId } = await this.client.request('private:request', {
        model: this.modelKey, pricePerMinute: this.o.pricePerMinute.toString(), minMinutes: 1, channelId: this.channelId,
      });
      const ended = new Promise<string>((resolve) => { onEnded = (e) => { if (e.sessionId === sessionId) resolve(e.reason); }; });
      const terms = await Promise.race([
        new Promise<Accepted>((resolve) => { onAccepted = (e) => { if (e.sessionId === sessionId) resolve(e); }; }),
        ended.then(() => null),
        sleep(15_000).then(() => null),
      ]);
      if (!terms) {
        await this.client.request('private:end', { sessionId }).catch(() => undefined);
        this.#count(this.endReasons, 'not accepted');
        return;
      }
      this.sessions++;
      this.#active = sessionId;
      trace(`${this.o.name}: session ${sessionId} accepted`);
      const relay = await this.#turn(terms.turn.username, terms.turn.credential);
      const meter = new CallMeter({
        role: 'payer', domain: voucherDomain(this.o.chainId, this.o.addresses.channels), channelId: this.channelId,
        sender: this.o.clientWallet.address, pricePerMinute: this.o.pricePerMinute, deposit: this.o.deposit,
        baseline: BigInt(terms.baseline), startedAt: terms.startedAt, graceMs: terms.graceMs, minuteMs: terms.minuteMs,
        signVoucher: (channelId, amount) => this.payer.signVoucher(channelId, amount),
      });
      let minutes = 0;
      meter.events.on('ended', (e) => trace(`${this.o.name}: payer meter ended ${e.code}`));
      meter.events.on('signed', (v) => {
        this.signed.push(v);
        minutes++;
        void this.#deliver(sessionId, v);
      });
      meter.start();
      const wantMinutes = 1 + this.o.rng.int(3);
      const reason = await Promise.race([ended, this.#stopping.then(() => this.#endNow(sessionId)), sleep(wantMinutes * terms.minuteMs + this.o.rng.int(terms.minuteMs))
        .then(() => this.#endNow(sessionId))]);
      meter.close();
      this.#release(relay);
      trace(`${this.o.name}: session ${sessionId} over: ${reason}, ${minutes} minutes`);
      this.#active = null;
      this.minutesPaid += minutes;
      this.#count(this.endReasons, reason);
      await this.#flush();
    } finally {
      stopAccepted();
      stopEnded();
      stopDeclined();
    }
  }

  #endNow(sessionId: string): Promise<string> {
    return persist(() => this.client.request('private:end', { sessionId }), 15_000).then(() => 'ended by client', () => 'end failed');
  }

  /** Sends a signed voucher to signaling; one that did not get there is kept for `#flush`. */
  async #deliver(sessionId: string, v: SignedVoucher): Promise<void> {
    try {
      await this.client.request('private:voucher', { sessionId, voucher: voucherToJSON(v) });
      if (this.#undelivered && this.#undelivered.cumulativeAmount <= v.cumulativeAmount) this.#undelivered = null;
    } catch (err) {
      this.#count(this.errors, `voucher: ${(err as ClientError).code}`);
      if (!this.#undelivered || v.cumulativeAmount > this.#undelivered.cumulativeAmount) this.#undelivered = v;
      if (this.client.state === 'online' && this.#active !== sessionId) void this.#flush();
    }
  }

  #flushing: Promise<void> | null = null;
  #giveUpAt = Infinity;

  /** Hands the latest undelivered voucher to the server (the session's own event while it runs, else vouchers:store). */
  #flush(): Promise<void> {
    this.#flushing ??= (async () => {
      const until = Date.now() + 30_000;
      while (this.#undelivered && Date.now() < until) {
        const v = this.#undelivered;
        try {
          if (this.#active) await this.client.request('private:voucher', { sessionId: this.#active, voucher: voucherToJSON(v) });
          else await this.client.request('vouchers:store', { model: this.modelKey, voucher: voucherToJSON(v) });
          if (this.#undelivered === v) this.#undelivered = null;
        } catch (err) {
          const code = (err as ClientError).code;
          if (this.#active && (code === 'CONFLICT' || code === 'VOUCHER_INVALID' || code === 'NOT_FOUND')) {
            this.#active = null; // the session is over: the kept-voucher path takes it
            continue;
          }
          this.#count(this.errors, `hand-over: ${code}`);
          if (this.#closed && Date.now() > this.#giveUpAt) return;
          await sleep(500);
        }
      }
    })().finally(() => { this.#flushing = null; });
    return this.#flushing;
  }

  /** Stops starting sessions; waits for the running one and for every voucher to be handed over. */
  async stop(deadlineMs: number): Promise<void> {
    this.#closed = true;
    this.#stop();
    const end = Date.now() + deadlineMs;
    this.#giveUpAt = end;
    while ((this.#active || this.#undelivered) && Date.now() < end) {
      void this.#flush();
      await sleep(200);
    }
  }

  /** The server's kept vouchers for the model's wallet (`vouchers:list`). */
  kept(): Promise<{ channelId: string; cumulativeAmount: string; signature: string }[]> {
    return persist(async () => (await this.model.request('vouchers:list', {})).vouchers, 30_000);
  }

  close(): void {
    this.client.close();
    this.model.close();
  }
}

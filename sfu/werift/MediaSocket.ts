/**
 * The UDP socket a viewer's media leaves on: werift's nominated ICE pair,
 * `connect()`ed to the viewer once DTLS is up. The socket is this viewer's
 * alone (one werift transport per peer connection) and talks to one remote,
 * so connecting it lets sends skip Node's per-packet address lookup (a
 * nextTick and closures) and the kernel's route lookup, and gives the native
 * path a descriptor to send(2) on. werift's own STUN sends on it are
 * redirected to the connected form. If ICE nominates another pair, the next
 * call follows it. Inbound RTCP can be read here before werift parses it.
 */
import type { Socket } from 'node:dgram';
import { SfuError } from '../errors.ts';

/** The part of werift's nominated ICE candidate pair used here. */
interface NominatedPair {
  protocol: { type?: string; transport?: PairTransport };
  remoteAddr: [string, number];
}

/** werift's UDP transport of a candidate pair: `onData` is where every datagram enters werift. */
interface PairTransport {
  socket?: Socket;
  send: (data: Buffer, addr?: [string, number]) => Promise<void>;
  onData: (data: Buffer, addr: [string, number]) => void;
}

/** Transports whose `onData` already passes through a MediaSocket. */
const hooked = new WeakSet<PairTransport>();

/** The part of werift's ICE connection used here. */
export interface IceConnection { nominated?: unknown; send(b: Buffer): Promise<void> }

interface ConnectedPair {
  socket: Socket; host: string; port: number; connected: boolean;
  /** The socket's descriptor once connected, else -1. */
  fd: number;
  /** Packets sent while the socket connects: dgram would drop them (an address on a connected socket). */
  queue: Buffer[];
}

/** Packets kept while the socket connects (a joining viewer's first picture group fits). */
const CONNECT_QUEUE = 512;

export class MediaSocket {
  readonly #conn: IceConnection;
  #nominated: unknown;
  #pair: ConnectedPair | undefined;
  #closed = false;
  #rtcpReader: ((datagram: Buffer) => boolean) | undefined;

  /** Starts connecting the socket of `conn`'s nominated pair. */
  constructor(conn: IceConnection) {
    this.#conn = conn;
    this.#use(conn.nominated as NominatedPair | undefined);
  }

  /** The connected socket's descriptor, or -1 while it connects (or when there is none). */
  get fd(): number {
    this.#follow();
    return this.#pair?.fd ?? -1;
  }

  /** Sends a datagram (queued while the socket connects; dropped if it is closed). */
  send(out: Buffer): void {
    this.#follow();
    const pair = this.#pair;
    if (pair) {
      try {
        if (pair.connected) pair.socket.send(out);
        else if (pair.queue.length < CONNECT_QUEUE) pair.queue.push(out);
      } catch { /* socket closed under us */ }
    } else if (this.#conn.nominated) {
      this.#conn.send(out).catch(() => {});
    }
  }

  /**
   * Hands every inbound RTCP datagram (still SRTCP) to `reader` before werift
   * sees it; `reader` returns true when it took the datagram, false to pass
   * it on to werift.
   */
  interceptRtcp(reader: (datagram: Buffer) => boolean): void {
    this.#rtcpReader = reader;
  }

  #hook(transport: PairTransport): void {
    if (hooked.has(transport)) return;
    hooked.add(transport);
    const werift = transport.onData;
    transport.onData = (data, addr) => {
      const reader = this.#rtcpReader;
      // RTP/RTCP first byte 128-191; RTCP packet types 192-223 (RFC 5761 4).
      if (reader && !this.#closed && data.length >= 8 && data[0]! >= 128 && data[0]! < 192 && data[1]! >= 192 && data[1]! <= 223 && reader(data)) return;
      werift(data, addr);
    };
  }

  /** Idempotent: stops following the ICE pair (werift closes the socket itself). */
  close(): void {
    this.#closed = true;
    this.#pair = undefined;
  }

  #follow(): void {
    const nominated = this.#conn.nominated;
    if (nominated !== this.#nominated && !this.#closed) this.#use(nominated as NominatedPair | undefined);
  }

  #use(nominated: NominatedPair | undefined): void {
    this.#nominated = nominated;
    const transport = nominated?.protocol.type === 'stun' ? nominated.protocol.transport : undefined;
    const socket = transport?.socket;
    if (!nominated || !transport || !socket) { this.#pair = undefined; return; }
    this.#hook(transport);
    const [host, port] = nominated.remoteAddr;
    const pair: ConnectedPair = { socket, host, port, connected: false, fd: -1, queue: [] };
    this.#pair = pair;
    const original = transport.send;
    try {
      socket.connect(port, host, () => {
        if (this.#pair !== pair || this.#closed) return;
        transport.send = async (data: Buffer, addr?: [string, number]) => {
          if (!addr || (addr[0] === host && addr[1] === port)) socket.send(data);
          else throw new SfuError('SFU_INTERNAL', 'connected socket cannot reach another address');
        };
        pair.connected = true;
        pair.fd = descriptorOf(socket);
        for (const out of pair.queue.splice(0)) socket.send(out);
      });
    } catch {
      // Not connectable (closed): send with an address, as werift does.
      transport.send = original;
      this.#pair = undefined;
    }
  }
}

/**
 * The OS descriptor of a bound dgram socket (-1 when Node does not expose
 * it), read from dgram's internal state: the native fast path writes to it
 * directly. Node 20's dgram keeps its handle under the 'state symbol'.
 */
function descriptorOf(socket: Socket): number {
  const key = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const state = key ? (socket as unknown as Record<symbol, { handle?: { fd?: unknown } }>)[key] : undefined;
  const fd = state?.handle?.fd;
  return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : -1;
}

/**
 * A minimal TURN client over UDP (RFC 8656 with RFC 8489 long-term credentials), enough to prove what a browser
 * relies on: an Allocate with the REST-API credentials, CreatePermission for a peer, and data relayed by Send and
 * Data indications. IPv4 only. (werift's TURN client leaves its refresh timer running after close, which keeps a
 * test process alive for minutes; this one owns nothing but its socket.)
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

const COOKIE = 0x2112a442;
const ATTR = {
  USERNAME: 0x0006, MESSAGE_INTEGRITY: 0x0008, ERROR_CODE: 0x0009, XOR_PEER_ADDRESS: 0x0012, DATA: 0x0013,
  REALM: 0x0014, NONCE: 0x0015, XOR_RELAYED_ADDRESS: 0x0016, REQUESTED_TRANSPORT: 0x0019, LIFETIME: 0x000d,
} as const;
const METHOD = { ALLOCATE: 0x003, REFRESH: 0x004, CREATE_PERMISSION: 0x008, SEND: 0x006, DATA: 0x007 } as const;
const CLASS = { REQUEST: 0x0000, INDICATION: 0x0010, SUCCESS: 0x0100, ERROR: 0x0110 } as const;

export type Address = [string, number];

interface Parsed { type: number; id: Buffer; attrs: Map<number, Buffer> }

function encode(type: number, id: Buffer, attrs: [number, Buffer][], key?: Buffer): Buffer {
  const body = attrs.map(([t, v]) => {
    const pad = (4 - (v.length % 4)) % 4;
    const a = Buffer.alloc(4 + v.length + pad);
    a.writeUInt16BE(t, 0);
    a.writeUInt16BE(v.length, 2);
    v.copy(a, 4);
    return a;
  });
  let msg = Buffer.concat([Buffer.alloc(20), ...body]);
  msg.writeUInt16BE(type, 0);
  msg.writeUInt32BE(COOKIE, 4);
  id.copy(msg, 8);
  if (key) {
    // MESSAGE-INTEGRITY covers the message with its length already counting the 24-byte attribute.
    msg.writeUInt16BE(msg.length - 20 + 24, 2);
    const mac = createHmac('sha1', key).update(msg).digest();
    const mi = Buffer.alloc(24);
    mi.writeUInt16BE(ATTR.MESSAGE_INTEGRITY, 0);
    mi.writeUInt16BE(20, 2);
    mac.copy(mi, 4);
    msg = Buffer.concat([msg, mi]);
  }
  msg.writeUInt16BE(msg.length - 20, 2);
  return msg;
}

function decode(buf: Buffer): Parsed | null {
  if (buf.length < 20 || buf.readUInt32BE(4) !== COOKIE) return null;
  const attrs = new Map<number, Buffer>();
  for (let i = 20; i + 4 <= buf.length;) {
    const t = buf.readUInt16BE(i);
    const len = buf.readUInt16BE(i + 2);
    attrs.set(t, buf.subarray(i + 4, i + 4 + len));
    i += 4 + len + ((4 - (len % 4)) % 4);
  }
  return { type: buf.readUInt16BE(0), id: buf.subarray(8, 20), attrs };
}

function xorAddress([ip, port]: Address): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(0x01, 1);
  b.writeUInt16BE(port ^ (COOKIE >>> 16), 2);
  const n = ip.split('.').reduce((acc, x) => (acc << 8) + Number(x), 0) >>> 0;
  b.writeUInt32BE((n ^ COOKIE) >>> 0, 4);
  return b;
}

function readXorAddress(b: Buffer): Address {
  const port = b.readUInt16BE(2) ^ (COOKIE >>> 16);
  const n = (b.readUInt32BE(4) ^ COOKIE) >>> 0;
  return [[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'), port];
}

/** A TURN error: the server's code (401, 403, ...) and reason. */
export class TurnRefused extends Error {
  constructor(readonly status: number, reason: string) {
    super(`TURN ${status} ${reason}`);
  }
}

export class TurnClient {
  readonly #socket: Socket;
  readonly #server: Address;
  readonly #username: string;
  readonly #password: string;
  #key: Buffer | null = null;
  #realm = Buffer.alloc(0);
  #nonce = Buffer.alloc(0);
  readonly #waiting = new Map<string, (m: Parsed) => void>();
  /** Data relayed to this allocation: payload and the peer it came from. */
  onData: (data: Buffer, from: Address) => void = () => undefined;
  relayed: Address | null = null;

  private constructor(server: Address, username: string, password: string, socket: Socket) {
    this.#server = server;
    this.#username = username;
    this.#password = password;
    this.#socket = socket;
    socket.on('message', (buf: Buffer) => {
      const m = decode(buf);
      if (!m) return;
      if (m.type === (METHOD.DATA | CLASS.INDICATION)) {
        const peer = m.attrs.get(ATTR.XOR_PEER_ADDRESS);
        const data = m.attrs.get(ATTR.DATA);
        if (peer && data) this.onData(Buffer.from(data), readXorAddress(peer));
        return;
      }
      this.#waiting.get(m.id.toString('hex'))?.(m);
    });
  }

  /** Allocates a relay address with these credentials; rejects with TurnRefused (and closes) when refused. */
  static async allocate(server: Address, username: string, password: string): Promise<TurnClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const c = new TurnClient(server, username, password, socket);
    try {
      const transport = Buffer.from([17, 0, 0, 0]);
      const first = await c.#request(METHOD.ALLOCATE, [[ATTR.REQUESTED_TRANSPORT, transport]], false);
      if (first.type !== (METHOD.ALLOCATE | CLASS.ERROR)) throw new Error('expected a 401 challenge first');
      c.#realm = Buffer.from(first.attrs.get(ATTR.REALM) ?? Buffer.alloc(0));
      c.#nonce = Buffer.from(first.attrs.get(ATTR.NONCE) ?? Buffer.alloc(0));
      c.#key = createHash('md5').update(`${username}:${c.#realm.toString()}:${c.#password}`).digest();
      const ok = await c.#request(METHOD.ALLOCATE, [[ATTR.REQUESTED_TRANSPORT, transport]], true);
      c.relayed = readXorAddress(ok.attrs.get(ATTR.XOR_RELAYED_ADDRESS)!);
      return c;
    } catch (err) {
      c.close();
      throw err;
    }
  }

  /** Lets `peer` send to this allocation (TurnRefused 403 when the server forbids that peer). */
  async permit(peer: Address): Promise<void> {
    await this.#request(METHOD.CREATE_PERMISSION, [[ATTR.XOR_PEER_ADDRESS, xorAddress(peer)]], true);
  }

  /** Sends `data` to `peer` through the relay (a Send indication). */
  send(data: Buffer, peer: Address): void {
    const msg = encode(METHOD.SEND | CLASS.INDICATION, randomBytes(12), [[ATTR.XOR_PEER_ADDRESS, xorAddress(peer)], [ATTR.DATA, data]]);
    this.#socket.send(msg, this.#server[1], this.#server[0]);
  }

  /** Gives the relay back at once (a Refresh with lifetime 0, as a browser does on close), then closes. */
  async release(): Promise<void> {
    try {
      await this.#request(METHOD.REFRESH, [[ATTR.LIFETIME, Buffer.alloc(4)]], true);
    } finally {
      this.close();
    }
  }

  close(): void {
    try { this.#socket.close(); } catch { /* closed */ }
  }

  async #request(method: number, attrs: [number, Buffer][], auth: boolean): Promise<Parsed> {
    const id = randomBytes(12);
    const all: [number, Buffer][] = auth
      ? [...attrs, [ATTR.USERNAME, Buffer.from(this.#username)], [ATTR.REALM, this.#realm], [ATTR.NONCE, this.#nonce]]
      : attrs;
    const msg = encode(method | CLASS.REQUEST, id, all, auth ? this.#key ?? undefined : undefined);
    const reply = await new Promise<Parsed>((resolve, reject) => {
      const timer = setTimeout(() => { this.#waiting.delete(id.toString('hex')); reject(new Error('no TURN response')); }, 3_000);
      this.#waiting.set(id.toString('hex'), (m) => { clearTimeout(timer); this.#waiting.delete(id.toString('hex')); resolve(m); });
      this.#socket.send(msg, this.#server[1], this.#server[0]);
    });
    if ((reply.type & 0x0110) === CLASS.ERROR && auth) {
      const e = reply.attrs.get(ATTR.ERROR_CODE);
      const status = e ? e.readUInt8(2) * 100 + e.readUInt8(3) : 0;
      throw new TurnRefused(status, e ? e.subarray(4).toString() : '');
    }
    return reply;
  }
}

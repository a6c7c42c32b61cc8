/**
 * A connected UDP sender on loopback (with the descriptor the native addon
 * sends on) and the socket receiving from it, collecting datagrams.
 */
import dgram from 'node:dgram';

export interface UdpLink {
  /** The sender's OS descriptor, connected to the receiver. */
  fd: number;
  /** Datagrams the receiver got, in order. */
  received: Buffer[];
  close(): void;
}

export async function udpLink(): Promise<UdpLink> {
  const rx = dgram.createSocket('udp4');
  const tx = dgram.createSocket('udp4');
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => tx.bind(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => tx.connect(rx.address().port, '127.0.0.1', () => r()));
  const state = Object.getOwnPropertySymbols(tx).find((s) => s.description === 'state symbol')!;
  const fd = (tx as unknown as Record<symbol, { handle: { fd: number } }>)[state]!.handle.fd;
  const received: Buffer[] = [];
  rx.on('message', (m) => received.push(m));
  return { fd, received, close: () => { rx.close(); tx.close(); } };
}

/** Resolves once `check()` holds; rejects after `ms`. */
export async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

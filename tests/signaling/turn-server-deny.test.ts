/**
 * The coturn the platform starts for itself (signaling/turn-server.ts) relays to its own relay address only:
 * a real allocation's CreatePermission for any other loopback address, the cloud metadata address, private,
 * shared and public addresses gets 403 Forbidden IP, and it runs without TCP relays.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { turnCredentials } from '../../signaling/turn.ts';
import { TurnServer } from '../../signaling/turn-server.ts';
import { TurnClient, TurnRefused, type Address } from './turn-client.ts';

const deny = suite('embedded coturn: denied peers');
let turn: TurnServer;

deny.before(async () => { turn = await TurnServer.start({ host: '127.0.0.1', binary: TurnServer.findBinary()! }); });
deny.after(async () => { await turn?.close(); });

deny('only its own relay address is a permitted peer; loopback, 169.254.x and the rest get 403', async () => {
  const server: Address = ['127.0.0.1', turn.port];
  const [ca, cb] = [turnCredentials(turn.urls, turn.secret, 600), turnCredentials(turn.urls, turn.secret, 600)];
  const a = await TurnClient.allocate(server, ca.username, ca.credential);
  const b = await TurnClient.allocate(server, cb.username, cb.credential);
  try {
    const status = (peer: Address) => a.permit(peer).then(() => 200, (err: unknown) => (err instanceof TurnRefused ? err.status : -1));
    assert.is(await status(b.relayed!), 200, 'the other side of a call (a relay of this server)');
    const refused: Record<string, number> = {};
    for (const ip of ['127.0.0.2', '127.255.255.254', '169.254.169.254', '169.254.0.1', '10.0.0.1', '100.64.0.1', '172.16.0.1', '192.168.0.1', '0.0.0.1', '198.18.0.1', '8.8.8.8']) {
      refused[ip] = await status([ip, 9]);
    }
    assert.equal(Object.entries(refused).filter(([, s]) => s !== 403), [], 'every one refused with 403');
  } finally {
    a.close();
    b.close();
  }
  const cmdline = readFileSync(`/proc/${turn.pid}/cmdline`, 'utf8').split('\0');
  assert.ok(cmdline.includes('--no-tcp-relay'), 'no TCP relays');
  const log = cmdline.find((a) => a.startsWith('--log-file='))!.slice('--log-file='.length);
  assert.match(readFileSync(log, 'utf8'), /--no-tcp-relay: TCP relay endpoints are not allowed/);
});

deny.run();

/**
 * client/lib/whip.ts reads the `Link` headers the SFU writes (sfu/http.ts `iceServerLinks` and its extension links):
 * ICE servers with their credentials, the server-sent events and layer URLs, resolved against the endpoint.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { iceServerLinks } from '../../sfu/http.ts';
import { EVENTS_REL, LAYER_REL, iceServersFrom, parseLinks } from '../../client/lib/whip.ts';

const t = suite('whip: Link headers');
const base = 'http://127.0.0.1:8080/whep/show1';

t('the SFU\'s ICE server links come back as RTCIceServers, credentials with quotes and commas intact', () => {
  const header = [
    ...iceServerLinks([
      { urls: ['turn:127.0.0.1:3478?transport=udp', 'turns:turn.example:5349'], username: '1700000000:ab,c', credential: 'p"a;ss\\w' },
      { urls: 'stun:stun.example:3478' },
    ]),
    '</whep/show1/0123/events>; rel="urn:ietf:params:whep:ext:core:server-sent-events"; events="reconnect,closed"',
    '</whep/show1/0123/layer>; rel="urn:ietf:params:whep:ext:core:layer"',
  ].join(', ');
  const links = parseLinks(header, base);
  assert.equal(iceServersFrom(links), [
    { urls: 'turn:127.0.0.1:3478?transport=udp', username: '1700000000:ab,c', credential: 'p"a;ss\\w' },
    { urls: 'turns:turn.example:5349', username: '1700000000:ab,c', credential: 'p"a;ss\\w' },
    { urls: 'stun:stun.example:3478' },
  ]);
  assert.is(links.find((l) => l.rel === EVENTS_REL)?.url, 'http://127.0.0.1:8080/whep/show1/0123/events');
  assert.is(links.find((l) => l.rel === EVENTS_REL)?.params.events, 'reconnect,closed');
  assert.is(links.find((l) => l.rel === LAYER_REL)?.url, 'http://127.0.0.1:8080/whep/show1/0123/layer');
});

t('no header, garbage, or a link that is not an ICE server URL gives no ICE server', () => {
  assert.equal(parseLinks(null, base), []);
  assert.equal(parseLinks('garbage', base), []);
  assert.equal(iceServersFrom(parseLinks('<https://evil.example/x>; rel="ice-server"', base)), []);
});

t.run();

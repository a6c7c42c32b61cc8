/**
 * signaling/candidates.ts on its own: the strict candidate grammar, what a relay-only call passes on (relay
 * candidates only, in canonical form) and what a direct one does, SDP filtering at every level, and a property:
 * whatever a client sends, what passes in a relay-only call is a relay candidate with no related address.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { candidateToRelay, parseCandidate, sdpFingerprints, sdpToRelay } from '../../signaling/candidates.ts';

const HOST = 'candidate:1467250027 1 udp 2122260223 192.168.1.20 56143 typ host generation 0 ufrag abcd network-id 1';
const MDNS = 'candidate:3829131138 1 udp 2122262783 4f1e2a3b-6c7d-4e5f-8a9b-0c1d2e3f4a5b.local 54400 typ host generation 0 ufrag abcd';
const SRFLX = 'candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 192.168.1.20 rport 56143 generation 0 ufrag abcd';
const PRFLX = 'candidate:3134152938 1 udp 1853824767 198.51.100.4 61002 typ prflx raddr 0.0.0.0 rport 0 generation 0';
const TCP_HOST = 'candidate:2 1 tcp 1518280447 10.0.0.5 9 typ host tcptype active generation 0';
const V6_HOST = 'candidate:4 1 udp 2122197247 2001:db8::1 50000 typ host generation 0';
const RELAY = 'candidate:3359526556 1 udp 41885439 127.0.0.1 50321 typ relay raddr 203.0.113.7 rport 46154 generation 0 ufrag abcd network-cost 999';
const RELAY_CANONICAL = 'candidate:3359526556 1 udp 41885439 127.0.0.1 50321 typ relay raddr 0.0.0.0 rport 0 generation 0 ufrag abcd network-cost 999';

const grammar = suite('candidates: strict grammar');

grammar('browser candidates of every type parse, with their fields', () => {
  const c = parseCandidate(SRFLX);
  assert.ok(c);
  assert.equal([c.foundation, c.component, c.transport, c.priority, c.address, c.port, c.type, c.relatedAddress, c.relatedPort],
    ['842163049', 1, 'udp', 1677729535, '203.0.113.7', 46154, 'srflx', '192.168.1.20', 56143]);
  assert.equal(c.extensions, [['generation', '0'], ['ufrag', 'abcd']]);
  for (const [line, type] of [[HOST, 'host'], [MDNS, 'host'], [PRFLX, 'prflx'], [TCP_HOST, 'host'], [V6_HOST, 'host'], [RELAY, 'relay']] as const) {
    assert.is(parseCandidate(line)?.type, type, line);
    assert.is(parseCandidate(`a=${line}`)?.type, type, `a=${line}`);
  }
});

grammar('anything off the grammar is unparsable', () => {
  const bad = [
    '', 'x', 'candidate:', 'candidate:1 1 udp 1 127.0.0.1 5000', 'candidate:1 1 udp 1 127.0.0.1 5000 typ',
    'candidate:1 1 udp 1 127.0.0.1 5000 typ magic', 'candidate:1 1 sctp 1 127.0.0.1 5000 typ relay',
    'candidate:1 1 udp 1 127.0.0.1 70000 typ relay', 'candidate:1 1 udp 1 256.0.0.1 5000 typ relay',
    'candidate:1 1 udp 1 127.0.0.1 5000 typ relay raddr', 'candidate:1 1 udp 1 127.0.0.1 5000 typ relay raddr 1.2.3.4 rport x',
    'candidate:1 1 udp 1 127.0.0.1 5000 typ relay generation', 'candidate:1  1 udp 1 127.0.0.1 5000 typ relay',
    'candidate:1 0 udp 1 127.0.0.1 5000 typ relay', 'candidate:1 1 udp 99999999999 127.0.0.1 5000 typ relay',
    'candidate:f😀 1 udp 1 127.0.0.1 5000 typ relay', 'candidate:1 1 udp 1 127.0.0.1 5000 typ relay\r',
    'candidate:1 1 udp 1 127.0.0.1 5000 typ relay generation 0 raddr 1.2.3.4', 'candidate:1 1 udp 1 fe80::1%eth0 5000 typ host',
    'candidate:1 1 udp 1 [::1] 5000 typ relay', 'a=candidate:1 1 udp 1 127.0.0.1 5000 typ relay x',
    'candidate:1 1 udp 1 127.0.0.1 5000 typ relay ' + 'x'.repeat(1100),
  ];
  for (const line of bad) assert.is(parseCandidate(line), null, JSON.stringify(line));
});

const relayOnly = suite('candidates: what a relay-only call passes on');

relayOnly('host, mDNS, srflx, prflx and garbage are dropped; relay passes with its related address zeroed', () => {
  for (const line of [HOST, MDNS, SRFLX, PRFLX, TCP_HOST, V6_HOST, 'garbage', 'candidate:1 1 udp 1 127.0.0.1 5000 typ bogus']) {
    assert.is(candidateToRelay(line, false), null, line);
  }
  assert.is(candidateToRelay(RELAY, false), RELAY_CANONICAL);
  assert.is(candidateToRelay('candidate:1 1 udp 1 127.0.0.1 5000 typ relay', false), 'candidate:1 1 udp 1 127.0.0.1 5000 typ relay');
  assert.is(candidateToRelay('candidate:1 1 udp 1 2001:db8::9 5000 typ relay raddr 2001:db8::1 rport 7', false),
    'candidate:1 1 udp 1 2001:db8::9 5000 typ relay raddr :: rport 0');
  assert.is(candidateToRelay('', false), '', 'the end-of-candidates marker carries no address');
});

relayOnly('a relay candidate keeps only extensions without addresses', () => {
  const smuggled = 'candidate:1 1 udp 1 127.0.0.1 5000 typ relay generation 0 leak 192.168.1.20 ufrag abcd';
  assert.is(candidateToRelay(smuggled, false), 'candidate:1 1 udp 1 127.0.0.1 5000 typ relay generation 0 ufrag abcd');
  assert.is(candidateToRelay('candidate:1 1 udp 1 relay.example 5000 typ relay', false), null, 'a relay address is an IP');
});

relayOnly('direct: every candidate that parses passes as sent; garbage still does not', () => {
  for (const line of [HOST, MDNS, SRFLX, PRFLX, RELAY]) assert.is(candidateToRelay(line, true), line);
  assert.is(candidateToRelay('garbage', true), null);
});

relayOnly('SDP: a=candidate lines of any section lose all but relay ones; the rest of the SDP is untouched', () => {
  const lines = ['v=0', 's=-', `a=${HOST}`, 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', `a=${SRFLX}`, `a=${RELAY}`,
    'a=remote-candidates:1 192.168.1.30 5000', 'm=video 9 UDP/TLS/RTP/SAVPF 96', `a=${MDNS}`, `a=${PRFLX}`, 'a=candidate:junk', 'a=end-of-candidates', ''];
  for (const eol of ['\r\n', '\n']) {
    const { sdp, dropped } = sdpToRelay(lines.join(eol), false);
    assert.is(sdp, ['v=0', 's=-', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', `a=${RELAY_CANONICAL}`,
      'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=end-of-candidates', ''].join(eol));
    assert.is(dropped, 6);
    for (const address of ['192.168.1.20', '203.0.113.7', '198.51.100.4', '.local', '192.168.1.30']) assert.not.match(sdp, address);
  }
  const direct = sdpToRelay(lines.join('\r\n'), true);
  assert.is(direct.dropped, 1, 'direct drops only the unparsable line');
  assert.match(direct.sdp, HOST);
});

relayOnly('fingerprints are read from session and media level', () => {
  assert.equal(sdpFingerprints('v=0\r\na=fingerprint:sha-256 AB\r\nm=audio 9 x\r\na=fingerprint:sha-1 CD\r\n'), ['sha-256 AB', 'sha-1 CD']);
  assert.equal(sdpFingerprints('v=0\r\n'), []);
});

const property = suite('candidates: property');

property('in a relay-only call, nothing but a canonical relay candidate ever passes', () => {
  const token = fc.constantFrom('candidate:1', '1', 'udp', 'tcp', '2122260223', '127.0.0.1', '10.1.2.3', '::1', 'x.local',
    '5000', 'typ', 'host', 'srflx', 'prflx', 'relay', 'raddr', 'rport', 'generation', '0', 'ufrag', 'abcd', 'leak', '');
  const line = fc.oneof(
    fc.array(token, { maxLength: 14 }).map((t) => t.join(' ')),
    fc.string({ maxLength: 120 }),
    fc.tuple(fc.constantFrom('host', 'srflx', 'prflx', 'relay'), fc.ipV4(), fc.ipV4(), fc.array(token, { maxLength: 4 }))
      .map(([typ, a, r, rest]) => ['candidate:7 1 udp 99', a, '4000 typ', typ, 'raddr', r, 'rport 9', ...rest].join(' ')),
  );
  fc.assert(fc.property(line, (l) => {
    const out = candidateToRelay(l, false);
    if (out === null || out === '') return true;
    const c = parseCandidate(out);
    return c !== null && c.type === 'relay' && (c.relatedAddress === null || c.relatedAddress === '0.0.0.0' || c.relatedAddress === '::')
      && (c.relatedPort === null || c.relatedPort === 0) && candidateToRelay(out, false) === out;
  }), { numRuns: 3000 });
});

grammar.run();
relayOnly.run();
property.run();

/**
 * Browser-side WHIP/WHEP client used by the tests (plain JS injected into a
 * page): publish with simulcast, view with a layer, switch layer, read
 * inbound video stats, and reconnect when the SFU sends `reconnect`.
 */
export const PAGE_SCRIPT = String.raw`
(() => {
  const sessions = new Map();
  let nextId = 1;

  function waitGathering(pc, ms) {
    if (pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') { clearTimeout(t); resolve(); }
      });
    });
  }

  function linkUrl(res, rel) {
    const link = res.headers.get('Link') || '';
    for (const part of link.split(/,(?=\s*<)/)) {
      const m = /<([^>]+)>(.*)/.exec(part.trim());
      if (m && m[2].includes('rel="' + rel + '"')) return m[1];
    }
    return undefined;
  }

  async function negotiate(s) {
    const pc = new RTCPeerConnection();
    s.pc = pc;
    if (s.kind === 'whip') {
      pc.addTransceiver(s.stream.getAudioTracks()[0], { direction: 'sendonly' });
      const init = { direction: 'sendonly' };
      if (s.simulcast) init.sendEncodings = [
        { rid: 'l', scaleResolutionDownBy: 4, maxBitrate: 200000 },
        { rid: 'm', scaleResolutionDownBy: 2, maxBitrate: 600000 },
        { rid: 'h', maxBitrate: 1800000 },
      ];
      const t = pc.addTransceiver(s.stream.getVideoTracks()[0], init);
      const vp8 = RTCRtpSender.getCapabilities('video').codecs.filter((c) => /vp8/i.test(c.mimeType));
      if (vp8.length) t.setCodecPreferences(vp8);
    } else {
      pc.addTransceiver('audio', { direction: 'recvonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
      pc.ontrack = (e) => {
        if (!s.video) {
          s.video = document.createElement('video');
          s.video.muted = true; s.video.autoplay = true; s.video.playsInline = true;
          s.video.srcObject = new MediaStream();
          document.body.append(s.video);
        }
        s.video.srcObject.addTrack(e.track);
        s.video.play().catch(() => {});
      };
    }
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    await waitGathering(pc, 1000);
    const url = s.endpoint + (s.layer ? '?layer=' + s.layer : '');
    s.postedAt = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp', Authorization: 'Bearer ' + s.token },
      body: pc.localDescription.sdp,
    });
    if (res.status !== 201) {
      pc.close();
      const body = await res.text();
      const err = new Error('POST ' + res.status + ' ' + body);
      err.status = res.status;
      err.retryAfter = res.status === 503 ? Number(res.headers.get('Retry-After')) || 0 : 0;
      throw err;
    }
    s.location = res.headers.get('Location');
    s.layerUrl = linkUrl(res, 'urn:ietf:params:whep:ext:core:layer');
    const eventsUrl = linkUrl(res, 'urn:ietf:params:whep:ext:core:server-sent-events');
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    if (eventsUrl) {
      const es = new EventSource(eventsUrl);
      s.events = es;
      es.addEventListener('reconnect', () => { es.close(); reconnect(s); });
      es.addEventListener('closed', () => es.close());
    }
  }

  async function reconnect(s) {
    if (s.stopped) return;
    s.reconnects++;
    try { s.pc.close(); } catch {}
    const deadline = performance.now() + 15000;
    while (!s.stopped && performance.now() < deadline) {
      try { await negotiate(s); return; }
      catch (e) { await new Promise((r) => setTimeout(r, e.status === 404 ? 150 : 300)); }
    }
  }

  window.sfuTest = {
    async publish({ endpoint, token, simulcast = true, width = 1280, height = 720 }) {
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          audio: true, video: { width: { exact: width }, height: { exact: height }, frameRate: 20 },
        });
      } catch {
        // The fake camera is already open at another size: take what it gives and scale.
        stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width, height, frameRate: 20 } });
      }
      const s = { id: nextId++, kind: 'whip', endpoint, token, simulcast, stream, reconnects: 0 };
      sessions.set(s.id, s);
      await negotiate(s);
      return s.id;
    },
    async view({ endpoint, token, layer }) {
      const s = { id: nextId++, kind: 'whep', endpoint, token, layer, reconnects: 0 };
      sessions.set(s.id, s);
      // A worker at its join budget answers 503 + Retry-After: wait and offer again, as client/lib/whip.ts does.
      for (let attempt = 1; ; attempt++) {
        try { await negotiate(s); break; }
        catch (e) { if (!e.retryAfter || attempt >= 6) throw e; await new Promise((r) => setTimeout(r, e.retryAfter * 1000)); }
      }
      return s.id;
    },
    async setLayer(id, layer) {
      const s = sessions.get(id);
      const res = await fetch(s.layerUrl, {
        method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + s.token },
        body: JSON.stringify({ layer }),
      });
      return res.status;
    },
    async videoStats(id) {
      const s = sessions.get(id);
      const report = await s.pc.getStats();
      let out = { framesDecoded: 0, frameWidth: 0, frameHeight: 0, packetsLost: 0, bytes: 0, freezeCount: 0, reconnects: s.reconnects, state: s.pc.connectionState, location: s.location };
      report.forEach((r) => {
        if (r.type === 'inbound-rtp' && r.kind === 'video') {
          out.framesDecoded = r.framesDecoded || 0; out.frameWidth = r.frameWidth || 0; out.frameHeight = r.frameHeight || 0;
          out.packetsLost = r.packetsLost || 0; out.bytes = r.bytesReceived || 0; out.freezeCount = r.freezeCount || 0;
          out.freezeSeconds = r.totalFreezesDuration || 0;
        }
        if (r.type === 'inbound-rtp' && r.kind === 'audio') out.audioPackets = r.packetsReceived || 0;
      });
      return out;
    },
    async publisherStats(id) {
      const s = sessions.get(id);
      const report = await s.pc.getStats();
      const out = { layers: {}, availableOutgoingBitrate: 0, reconnects: s.reconnects, state: s.pc.connectionState, location: s.location };
      report.forEach((r) => {
        if (r.type === 'outbound-rtp' && r.kind === 'video') out.layers[r.rid || 'single'] = { bytes: r.bytesSent, width: r.frameWidth, height: r.frameHeight, limited: r.qualityLimitationReason };
        if (r.type === 'candidate-pair' && r.nominated && r.availableOutgoingBitrate) out.availableOutgoingBitrate = r.availableOutgoingBitrate;
      });
      return out;
    },
    async stop(id) {
      const s = sessions.get(id);
      s.stopped = true;
      if (s.events) s.events.close();
      if (s.location) await fetch(s.location, { method: 'DELETE', headers: { Authorization: 'Bearer ' + s.token } }).catch(() => {});
      s.pc.close();
    },
  };
})();
`;

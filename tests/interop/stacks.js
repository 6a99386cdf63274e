// The other WebRTC stacks behind one small interface, so interop.js runs the same scenario
// against each: node-datachannel 0.33.4 (libdatachannel) and @roamhq/wrtc 0.10.0 (libwebrtc).
// Quirks handled here come from ../../../shared/testing/environment.md §4.
//
// stack.create({ onCandidate(candidate, mid), onChannel(channel) }) → peer with
//   offer(label) → {type, sdp}   (creates the channel `label` first: a data section to offer)
//   answer({type, sdp}) → {type, sdp}
//   setAnswer({type, sdp}), addCandidate(candidate, mid), channel(label) → channel, close()
// channel: label, send(string | Buffer), close(), and the hooks onopen(), onmessage(string |
//   Buffer), onclose() that interop.js sets.
'use strict';

// Every channel a peer has, kept referenced: node-datachannel's remote channels are otherwise
// garbage-collected and closed (environment.md §4).
class Channel {
  constructor(label) {
    this.label = label;
    this.onopen = () => {};
    this.onmessage = () => {};
    this.onclose = () => {};
  }
}

function nodeDatachannel() {
  const ndc = require('node-datachannel');
  ndc.initLogger(process.env.NDC_LOG || 'Warning', (level, message) => console.log(`[ndc ${level}] ${message}`));
  return {
    name: 'node-datachannel',
    create(hooks) {
      // bindAddress: libjuice gathers nothing in a loopback-only namespace without it.
      const pc = new ndc.PeerConnection('interop', { iceServers: [], bindAddress: '127.0.0.1' });
      const channels = [];
      let described = null;  // resolves the next local description (automatic negotiation)
      pc.onLocalDescription((sdp, type) => { if (described) described({ type: type.toLowerCase(), sdp }); });
      pc.onLocalCandidate((c, mid) => hooks.onCandidate(c, mid));
      const wrap = (dc) => {
        const ch = new Channel(dc.getLabel());
        ch.dc = dc;
        dc.onOpen(() => ch.onopen());
        dc.onMessage((m) => ch.onmessage(m));
        dc.onClosed(() => ch.onclose());
        ch.send = (m) => (typeof m === 'string' ? dc.sendMessage(m) : dc.sendMessageBinary(m));
        ch.close = () => dc.close();
        channels.push(ch);
        return ch;
      };
      pc.onDataChannel((dc) => hooks.onChannel(wrap(dc)));
      const next = () => new Promise((resolve) => { described = resolve; });
      return {
        channels,
        async offer(label) {
          const d = next();
          const ch = wrap(pc.createDataChannel(label));
          return { ch, description: await d };
        },
        async answer(offer) {
          const d = next();
          pc.setRemoteDescription(offer.sdp, offer.type);
          return d;
        },
        async setAnswer(answer) { pc.setRemoteDescription(answer.sdp, answer.type); },
        addCandidate(c, mid) { pc.addRemoteCandidate(c, mid); },
        channel(label) { return wrap(pc.createDataChannel(label)); },
        close() { pc.close(); },
      };
    },
  };
}

function wrtc() {
  const { RTCPeerConnection } = require('@roamhq/wrtc');
  return {
    name: 'wrtc',
    create(hooks) {
      const pc = new RTCPeerConnection({ iceServers: [] });
      const channels = [];
      pc.onicecandidate = (e) => { if (e.candidate && e.candidate.candidate) hooks.onCandidate(e.candidate.candidate, e.candidate.sdpMid); };
      const wrap = (dc) => {
        const ch = new Channel(dc.label);
        ch.dc = dc;
        dc.binaryType = 'arraybuffer';
        // Arrow functions, not the hooks themselves: a resolver passed directly sometimes never fired.
        let opened = false;
        const open = () => { if (!opened) { opened = true; clearInterval(poll); ch.onopen(); } };
        dc.onopen = () => open();
        // …and its open event was lost now and then (1 run in 4 for a channel created on a
        // connected association): watch readyState too, until the channel opens or closes.
        const poll = setInterval(() => {
          if (dc.readyState === 'open') { if (!opened) console.log(`[wrtc] ${dc.label}: open without an open event`); open(); }
          else if (dc.readyState === 'closed') clearInterval(poll);
        }, 20);
        dc.onmessage = (e) => ch.onmessage(typeof e.data === 'string' ? e.data : Buffer.from(e.data));
        dc.onclose = () => ch.onclose();
        ch.send = (m) => dc.send(typeof m === 'string' ? m : new Uint8Array(m.buffer, m.byteOffset, m.length));
        ch.close = () => dc.close();
        channels.push(ch);
        return ch;
      };
      pc.ondatachannel = (e) => hooks.onChannel(wrap(e.channel));
      return {
        channels,
        async offer(label) {
          const ch = wrap(pc.createDataChannel(label));
          await pc.setLocalDescription(await pc.createOffer());
          return { ch, description: { type: 'offer', sdp: pc.localDescription.sdp } };
        },
        async answer(offer) {
          await pc.setRemoteDescription(offer);
          await pc.setLocalDescription(await pc.createAnswer());
          return { type: 'answer', sdp: pc.localDescription.sdp };
        },
        async setAnswer(answer) { await pc.setRemoteDescription(answer); },
        // addIceCandidate rejects after close: never let that become an unhandled rejection.
        addCandidate(c, mid) { pc.addIceCandidate({ candidate: c, sdpMid: mid }).catch((e) => console.log('[wrtc] addIceCandidate:', e.message)); },
        channel(label) { return wrap(pc.createDataChannel(label)); },
        // pc.close() at exit segfaulted once in 0.10.0; the channels are closed before this.
        close() { pc.close(); },
      };
    },
  };
}

module.exports = { 'node-datachannel': nodeDatachannel, wrtc };

// One RTCPeerConnection to one other member of the room (a full mesh has one per pair).
// The member who joined later makes the offer, so there is never glare; the other answers.
// Negotiated data channels (id 0 chat, id 1 files) exist on both sides without extra signaling.
// Three media sections, in this order: microphone, camera, and a shared screen (its sender has
// no track until someone shares), so sharing and switching devices are replaceTrack() calls,
// never a renegotiation.
import { FileReceiver } from './files.js';

const SCREEN = 2;  // index of the screen section among the transceivers

export class PeerLink extends EventTarget {
  constructor({ id, name, initiator, rooms, iceServers, relayOnly, localStream, screenTrack }) {
    super();
    Object.assign(this, { id, name, initiator, rooms, localStream, screenTrack: screenTrack || null });
    this.screenStream = new MediaStream();
    this.log = [];
    this.localCandidates = [];
    this.pendingCandidates = [];
    this.remoteStream = new MediaStream();
    this.restarts = 0;
    this.lastBytes = null;
    this.pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: relayOnly ? 'relay' : 'all' });
    this.chat = this.pc.createDataChannel('chat', { negotiated: true, id: 0 });
    this.file = this.pc.createDataChannel('file', { negotiated: true, id: 1 });
    this.file.binaryType = 'arraybuffer';
    this.receiver = new FileReceiver({
      start: (f) => this.#emit('file-start', { ...f, from: this.name }),
      progress: (id, received) => this.#emit('file-progress', { id, received }),
      done: (f) => this.#emit('file-done', { ...f, from: this.name }),
      refused: (f) => this.#emit('file-refused', { ...f, from: this.name }),
    });
    this.chat.onmessage = (e) => {
      try { const m = JSON.parse(e.data); if (typeof m.text === 'string') this.#emit('chat', { text: m.text.slice(0, 2000), from: this.name }); } catch { /* not ours */ }
    };
    this.file.onmessage = (e) => this.receiver.onMessage(e.data);
    this.chat.onopen = () => this.#emit('state', {});

    this.pc.onicecandidate = (e) => {
      if (e.candidate) {
        const c = describeCandidate(e.candidate.candidate);
        this.localCandidates.push(c);
        this.#log('→', `candidate ${c.type} ${c.protocol} ${c.address}:${c.port}`);
      } else {
        this.#log('→', 'end-of-candidates');
      }
      this.rooms.signal(this.id, { candidate: e.candidate ? e.candidate.toJSON() : null });
    };
    this.pc.ontrack = (e) => {
      if (this.pc.getTransceivers().indexOf(e.transceiver) === SCREEN) {
        this.screenStream.addTrack(e.track);
        this.#emit('screen', { track: e.track, stream: this.screenStream });
        return;
      }
      this.remoteStream.addTrack(e.track);
      this.#emit('track', { track: e.track });
    };
    this.pc.oniceconnectionstatechange = () => {
      const s = this.pc.iceConnectionState;
      this.#log('·', `ICE ${s}`);
      if (s === 'failed' && this.initiator && this.restarts < 1) {
        this.restarts++;
        this.#log('·', 'ICE restart');
        this.#offer({ iceRestart: true });
      }
      this.#emit('state', {});
    };
    this.pc.onconnectionstatechange = () => this.#emit('state', {});
    if (initiator) this.#start();
  }

  get state() {
    if (this.pc.iceConnectionState === 'failed') return 'failed';
    return this.pc.connectionState;
  }

  async #start() {
    for (const kind of ['audio', 'video']) {
      const track = this.localStream && this.localStream.getTracks().find((t) => t.kind === kind);
      if (track) this.pc.addTransceiver(track, { direction: 'sendrecv', streams: [this.localStream] });
      else this.pc.addTransceiver(kind, { direction: 'recvonly' });
    }
    this.pc.addTransceiver(this.screenTrack || 'video', { direction: 'sendrecv' });
    await this.#offer();
  }

  async #offer(options) {
    const offer = await this.pc.createOffer(options);
    await this.pc.setLocalDescription(offer);
    this.#log('→', `offer (${countMlines(offer.sdp)} m-lines)`);
    this.rooms.signal(this.id, { sdp: { type: offer.type, sdp: offer.sdp } });
  }

  async onSignal(data) {
    try {
      if (data && data.sdp) {
        this.#log('←', `${data.sdp.type} (${countMlines(data.sdp.sdp)} m-lines)`);
        await this.pc.setRemoteDescription(data.sdp);
        if (data.sdp.type === 'offer') {
          for (const [index, t] of this.pc.getTransceivers().entries()) {
            if (index === SCREEN) {
              await t.sender.replaceTrack(this.screenTrack);
              t.direction = 'sendrecv';
              continue;
            }
            const kind = t.receiver.track.kind;
            const track = this.localStream && this.localStream.getTracks().find((x) => x.kind === kind);
            if (track) {
              await t.sender.replaceTrack(track);
              t.direction = 'sendrecv';
              if (t.sender.setStreams) t.sender.setStreams(this.localStream);
            } else {
              t.direction = 'recvonly';
            }
          }
          const answer = await this.pc.createAnswer();
          await this.pc.setLocalDescription(answer);
          this.#log('→', 'answer');
          this.rooms.signal(this.id, { sdp: { type: answer.type, sdp: answer.sdp } });
        }
        for (const c of this.pendingCandidates.splice(0)) await this.#addCandidate(c);
      } else if (data && 'candidate' in data) {
        if (data.candidate) {
          const c = describeCandidate(data.candidate.candidate || '');
          this.#log('←', `candidate ${c.type} ${c.protocol} ${c.address}:${c.port}`);
        } else {
          this.#log('←', 'end-of-candidates');
        }
        if (this.pc.remoteDescription) await this.#addCandidate(data.candidate);
        else this.pendingCandidates.push(data.candidate);
      }
    } catch (err) {
      this.#log('!', `signaling error: ${err.message}`);
    }
  }

  async #addCandidate(candidate) {
    try { await this.pc.addIceCandidate(candidate || undefined); } catch (err) { this.#log('!', `candidate refused: ${err.message}`); }
  }

  // Shares `track` (a screen) on the third section, or stops with null.
  async setScreen(track) {
    this.screenTrack = track;
    const t = this.pc.getTransceivers()[SCREEN];
    if (t && t.currentDirection !== 'stopped') await t.sender.replaceTrack(track).catch(() => {});
  }
  // Switches the microphone or camera to `track` (same kind) on its section.
  async replaceLocal(track) {
    const t = this.pc.getTransceivers()[track.kind === 'audio' ? 0 : 1];
    if (t && t.sender.track && t.sender.track.kind === track.kind) await t.sender.replaceTrack(track);
  }

  sendChat(text) {
    if (this.chat.readyState === 'open') this.chat.send(JSON.stringify({ text }));
  }

  // What the details panel and the tests read: the selected pair, RTT, bitrates, frames.
  async stats() {
    const report = await this.pc.getStats();
    const byId = new Map();
    report.forEach((r) => byId.set(r.id, r));
    let pair = null, bytesIn = 0, bytesOut = 0, framesDecoded = 0, framesPerSecond = 0, received = 0, lost = 0;
    report.forEach((r) => {
      if (r.type === 'transport' && r.selectedCandidatePairId) pair = byId.get(r.selectedCandidatePairId);
      if (r.type === 'inbound-rtp') {
        bytesIn += r.bytesReceived || 0;
        received += r.packetsReceived || 0;
        lost += Math.max(0, r.packetsLost || 0);
        if (r.kind === 'video') { framesDecoded = r.framesDecoded || 0; framesPerSecond = r.framesPerSecond || 0; }
      }
      if (r.type === 'outbound-rtp') bytesOut += r.bytesSent || 0;
    });
    if (!pair) report.forEach((r) => { if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') pair = r; });
    const side = (id) => {
      const c = id && byId.get(id);
      return c ? { type: c.candidateType, address: c.address, port: c.port, protocol: c.protocol, relayProtocol: c.relayProtocol } : null;
    };
    const now = performance.now();
    let kbpsIn = 0, kbpsOut = 0;
    if (this.lastBytes) {
      const secs = (now - this.lastBytes.t) / 1000;
      if (secs > 0) { kbpsIn = (bytesIn - this.lastBytes.in) * 8 / 1000 / secs; kbpsOut = (bytesOut - this.lastBytes.out) * 8 / 1000 / secs; }
    }
    // Loss over the last interval, not since the call began.
    const before = this.lastPackets || { received: 0, lost: 0 };
    const dr = received - before.received, dl = lost - before.lost;
    const lossPercent = dr + dl > 0 ? Math.round(100 * dl / (dr + dl)) : 0;
    this.lastPackets = { received, lost };
    this.lastBytes = { t: now, in: bytesIn, out: bytesOut };
    return {
      state: this.state,
      selectedPair: pair ? { local: side(pair.localCandidateId), remote: side(pair.remoteCandidateId),
        rttMs: pair.currentRoundTripTime !== undefined ? Math.round(pair.currentRoundTripTime * 1000) : null } : null,
      kbpsIn: Math.round(kbpsIn), kbpsOut: Math.round(kbpsOut), framesDecoded, framesPerSecond, lossPercent,
    };
  }

  close() {
    this.pc.close();
    this.#emit('state', {});
  }

  #log(dir, what) {
    this.log.push(`${new Date().toISOString().slice(11, 23)} ${dir} ${what}`);
    if (this.log.length > 200) this.log.shift();
    this.#emit('log', {});
  }
  #emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }
}

// "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host ..." → {type, protocol, address, port}
export function describeCandidate(line) {
  const f = line.replace(/^a=/, '').split(' ');
  const typ = f.indexOf('typ');
  return { protocol: f[2] || '?', address: f[4] || '?', port: f[5] || '?', type: typ > 0 ? f[typ + 1] : '?' };
}

function countMlines(sdp) { return (sdp.match(/^m=/gm) || []).length; }

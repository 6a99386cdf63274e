// The web app's side of an SFU room (docs/protocol-rooms.md "SFU mode"): one PeerConnection
// publishes our camera and microphone to the server (video as three simulcast layers chosen
// with sendEncodings rids — no SDP munging), and one PeerConnection receives everyone else,
// offered by the server and re-offered whenever the room's tracks change. The server is an
// ICE-lite agent whose answer and offers carry its one candidate, so there is no trickle.
// A third, empty video section (no simulcast) carries a shared screen once replaceTrack() puts
// one there; the server sends it on in a stream of its own, "<member>~screen".
// Events: track {member, track, stream}, screen {member, track, stream}, closed {}, log.
const SIMULCAST = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
];

export class SfuSession extends EventTarget {
  constructor({ rooms, localStream }) {
    super();
    this.rooms = rooms;
    this.localStream = localStream;
    this.publisher = null;
    this.subscriber = null;
    this.connection = 0;     // the server's number for the current subscribe connection
    this.queue = Promise.resolve();  // subscribe offers are applied one at a time, in order
    this.log = [];
    this.lastStats = null;
    this.closed = false;
    this.screenTrack = null;
  }

  // Publishes our media, and the (empty) screen section even without a camera or microphone,
  // so that anyone can share a screen. Receiving needs nothing from us: the server offers.
  async start() {
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    this.publisher = pc;
    pc.onconnectionstatechange = () => this.#note(`publish ${pc.connectionState}`);
    for (const track of this.localStream ? this.localStream.getTracks() : []) {
      const init = { direction: 'sendonly', streams: [this.localStream] };
      if (track.kind === 'video') init.sendEncodings = SIMULCAST;
      const t = pc.addTransceiver(track, init);
      if (track.kind === 'audio') this.audio = t; else this.camera = t;
    }
    this.screen = pc.addTransceiver(this.screenTrack || 'video', { direction: 'sendonly', streams: [new MediaStream()] });
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    if (this.closed) return;  // left (or reconnected) meanwhile: this session is over
    const video = this.localStream && this.localStream.getVideoTracks()[0];
    const height = video ? video.getSettings().height : undefined;
    this.rooms.send({ type: 'sfu-publish', sdp: offer.sdp, screen: this.screen.mid, ...(height ? { height } : {}) });
    this.#note('→ publish offer');
  }

  // Server messages for the SFU (sfu-publish-answer, sfu-subscribe-offer, sfu-subscribe-close,
  // sfu-stats).
  onMessage(msg) {
    if (this.closed) return;
    if (msg.type === 'sfu-publish-answer' && this.publisher) {
      this.#note('← publish answer');
      this.publisher.setRemoteDescription({ type: 'answer', sdp: msg.sdp })
        .catch((e) => this.#note(`publish answer refused: ${e.message}`));
    } else if (msg.type === 'sfu-subscribe-offer') {
      this.queue = this.queue.then(() => this.#subscribe(msg)).catch((e) => {
        this.#note(`subscribe failed: ${e.message}`);
        // An answer the server cannot use makes it start the connection again (never stuck).
        if (!this.closed) this.rooms.send({ type: 'sfu-subscribe-answer', connection: msg.connection, sdp: '' });
      });
    } else if (msg.type === 'sfu-subscribe-close') {
      this.queue = this.queue.then(() => {
        if (msg.connection === this.connection) this.#closeSubscriber();
      });
    } else if (msg.type === 'sfu-stats') {
      this.lastStats = msg;
    }
  }

  async #subscribe(msg) {
    if (this.closed) return;
    if (msg.connection !== this.connection || !this.subscriber) {
      this.#closeSubscriber();
      const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
      this.subscriber = pc;
      this.connection = msg.connection;
      pc.ontrack = (e) => {
        const stream = e.streams[0];
        if (!stream) return;
        if (stream.id.endsWith('~screen')) this.#emit('screen', { member: stream.id.slice(0, -7), track: e.track, stream });
        else this.#emit('track', { member: stream.id, track: e.track, stream });
      };
      pc.onconnectionstatechange = () => this.#note(`subscribe ${pc.connectionState}`);
    }
    const pc = this.subscriber;
    await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    if (this.closed || pc !== this.subscriber) return;
    this.rooms.send({ type: 'sfu-subscribe-answer', connection: msg.connection, sdp: answer.sdp });
    this.#note(`← subscribe offer (${(msg.sdp.match(/^m=/gm) || []).length} m-lines) → answer`);
  }

  #closeSubscriber() {
    if (!this.subscriber) return;
    this.subscriber.close();
    this.subscriber = null;
    this.#emit('closed', {});
  }

  // Shares `track` (a screen) or stops with null; no renegotiation.
  async setScreen(track) {
    this.screenTrack = track;
    if (this.screen) await this.screen.sender.replaceTrack(track).catch(() => {});
  }
  // Switches the microphone or camera to `track`; the server sees the same stream continue.
  async replaceLocal(track) {
    const t = track.kind === 'audio' ? this.audio : this.camera;
    if (t) await t.sender.replaceTrack(track);
  }

  // Asks for the largest video height wanted, overall and per member (Jitsi-style constraints).
  constrain(maxHeight, sources = {}) {
    this.rooms.send({ type: 'sfu-constraints', maxHeight: maxHeight ?? null, sources });
  }
  requestStats() { this.rooms.send({ type: 'sfu-stats' }); }

  get state() {
    const s = this.subscriber ? this.subscriber.connectionState : 'new';
    const p = this.publisher ? this.publisher.connectionState : 'none';
    return { publish: p, subscribe: s };
  }

  close() {
    this.closed = true;
    if (this.publisher) this.publisher.close();
    this.publisher = null;
    this.#closeSubscriber();
  }

  #note(text) {
    this.log.push(`${new Date().toISOString().slice(11, 23)} ${text}`);
    if (this.log.length > 200) this.log.shift();
    this.#emit('log', {});
  }
  #emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }
}

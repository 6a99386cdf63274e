// The rooms protocol client (docs/protocol-rooms.md): one WebSocket to /ws, reconnecting with
// exponential backoff when the server is unreachable. Events: welcome, joined, member-joined,
// member-left, signal, error, left, room-mode, the sfu-* messages, state ('connecting' | 'open' |
// 'retrying').
export class RoomsClient extends EventTarget {
  constructor(url = defaultUrl()) {
    super();
    this.url = url;
    this.ws = null;
    this.retryMs = 1000;
    this.closedByUs = false;
    this.self = null;       // {id, name} once joined
    this.iceServers = [];
  }

  connect() {
    this.closedByUs = false;
    this.#emit('state', { state: 'connecting' });
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => { this.retryMs = 1000; this.#emit('state', { state: 'open' }); };
    ws.onmessage = (e) => {
      let msg;
      try { msg = JSON.parse(e.data); } catch { return; }
      if (msg.type === 'welcome') { this.id = msg.id; this.iceServers = msg.iceServers || []; this.limits = msg.limits; }
      if (msg.type === 'joined') this.self = msg.self;
      this.#emit(msg.type, msg);
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.self = null;
      if (this.closedByUs) return;
      const delay = this.retryMs;
      this.retryMs = Math.min(this.retryMs * 2, 30000);
      this.#emit('state', { state: 'retrying', delay, code: e.code, reason: e.reason });
      this.retryTimer = setTimeout(() => this.connect(), delay);
    };
  }

  send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) { this.ws.send(JSON.stringify(msg)); return true; }
    return false;
  }
  join(room, name, mode) { return this.send({ type: 'join', room, name, ...(mode ? { mode } : {}) }); }
  signal(to, data) { return this.send({ type: 'signal', to, data }); }
  leave() { return this.send({ type: 'leave' }); }

  close() {
    this.closedByUs = true;
    clearTimeout(this.retryTimer);
    if (this.ws) this.ws.close(1000, 'bye');
    this.ws = null;
  }

  #emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }
}

function defaultUrl() {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
}

// File transfer over an ordered, reliable RTCDataChannel: a JSON header, 16 KiB binary chunks
// with backpressure (bufferedAmountLowThreshold), a JSON trailer carrying the sender's SHA-256.
// The receiver hashes what arrived and shows whether both digests match.
export const CHUNK = 16 * 1024;
const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;
// Received files are held in memory until saved; refuse what a tab could not hold.
export const MAX_RECEIVE_BYTES = 512 * 1024 * 1024;

// crypto.subtle exists only in secure contexts (https://, or http://localhost and 127.0.0.1):
// a page served over plain http from another address can neither hash what it sends nor check
// what it receives, so file transfer is off there (as the camera is).
export function canHashFiles(scope = globalThis) {
  return !!(scope.isSecureContext && scope.crypto && scope.crypto.subtle &&
            typeof scope.crypto.subtle.digest === 'function');
}

export async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest('SHA-256', buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// Sends `file` (a File or Blob with a name) on `channel`; onProgress(sentBytes).
export async function sendFile(channel, file, id, onProgress) {
  const buffer = await file.arrayBuffer();
  const hash = await sha256Hex(buffer);
  channel.bufferedAmountLowThreshold = LOW_WATER;
  channel.send(JSON.stringify({ type: 'file-start', id, name: file.name, size: buffer.byteLength, mime: file.type }));
  for (let offset = 0; offset < buffer.byteLength; offset += CHUNK) {
    if (channel.readyState !== 'open') throw new Error('channel closed during transfer');
    if (channel.bufferedAmount > HIGH_WATER) {
      await new Promise((resolve) => {
        const done = () => { channel.removeEventListener('bufferedamountlow', done); channel.removeEventListener('close', done); resolve(); };
        channel.addEventListener('bufferedamountlow', done);
        channel.addEventListener('close', done);
      });
    }
    channel.send(buffer.slice(offset, Math.min(offset + CHUNK, buffer.byteLength)));
    onProgress(Math.min(offset + CHUNK, buffer.byteLength));
  }
  channel.send(JSON.stringify({ type: 'file-end', id, sha256: hash }));
  return hash;
}

// Reassembles incoming files on one channel; calls handlers.start({id,name,size}),
// handlers.progress(id, received), handlers.done({id,name,size,sha256,expected,ok,blob}).
export class FileReceiver {
  constructor(handlers) { this.handlers = handlers; this.current = null; }

  async onMessage(data) {
    if (typeof data === 'string') {
      let msg;
      try { msg = JSON.parse(data); } catch { return; }
      if (msg.type === 'file-start' && !canHashFiles()) {
        this.current = null;
        this.handlers.refused({ id: String(msg.id), name: String(msg.name).slice(0, 255), size: msg.size, reason: 'insecure' });
      } else if (msg.type === 'file-start' && Number.isSafeInteger(msg.size) && msg.size > MAX_RECEIVE_BYTES) {
        this.current = null;
        this.handlers.refused({ id: String(msg.id), name: String(msg.name).slice(0, 255), size: msg.size, reason: 'too-large' });
      } else if (msg.type === 'file-start' && Number.isSafeInteger(msg.size) && msg.size >= 0) {
        this.current = { id: String(msg.id), name: String(msg.name).slice(0, 255), size: msg.size, mime: msg.mime || '', chunks: [], received: 0 };
        this.handlers.start(this.current);
      } else if (msg.type === 'file-end' && this.current && this.current.id === String(msg.id)) {
        const file = this.current;
        this.current = null;
        const blob = new Blob(file.chunks, { type: file.mime });
        const sha256 = await sha256Hex(await blob.arrayBuffer());
        this.handlers.done({ id: file.id, name: file.name, size: file.received, sha256, expected: msg.sha256,
          ok: sha256 === msg.sha256 && file.received === file.size, blob });
      }
      return;
    }
    if (!this.current) return;
    this.current.chunks.push(data);
    this.current.received += data.byteLength;
    if (this.current.received > this.current.size) { this.current = null; return; }  // lying sender
    this.handlers.progress(this.current.id, this.current.received);
  }
}

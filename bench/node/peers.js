// The named peers of T7–T9 (../../../shared/perf/targets.md), the same shape as
// bench/peerbench.cpp: two PeerConnections in one process over loopback (127.0.0.1 host
// candidates), one reliable ordered channel created by the first, descriptions and candidates
// handed over the moment they appear (held until the remote description is set).
//
//   node peers.js <node-datachannel|wrtc> goodput SECONDS   64 KiB messages, kept between 1 and 4 MiB
//   node peers.js <node-datachannel|wrtc> setup RUNS        create both → channel open on both
//   node peers.js node-datachannel memory PCS               PCS/2 idle pairs, one open channel each
// Prints one line of key=value figures, as peerbench does. Run inside a namespace (peer-bench.sh).
'use strict';
const [stack, mode, arg] = process.argv.slice(2);
const MESSAGE = 64 * 1024, HIGH = 4 << 20, LOW = 1 << 20;
const wire = require('./ndc-wire');
// libdatachannel's set-ups stall on its 1 s retransmissions, more so ten at a time (memory).
const OPEN_LIMIT_MS = mode === 'memory' ? 30000 : 10000;

// pair() → Promise<{ send, buffered, onLow, close }>: connected, channel open on both sides.
// onMessage(bytes) counts what the second peer receives.
function ndcPair(onMessage) {
  const ndc = require('node-datachannel');
  ndc.initLogger('Error', () => {});
  const cfg = { iceServers: [], bindAddress: '127.0.0.1' };  // libjuice gathers nothing else here
  return new Promise((resolve, reject) => {
    const a = new ndc.PeerConnection('a', cfg), b = new ndc.PeerConnection('b', cfg);
    const timer = setTimeout(() => reject(new Error(`node-datachannel: not open after ${OPEN_LIMIT_MS} ms`)), OPEN_LIMIT_MS);
    wire(a, b);
    wire(b, a);
    let opened = false, remote = null;
    const p = { a, b, dc: null, remote: null };
    const done = () => {
      if (!opened || !remote) return;
      clearTimeout(timer);
      resolve({
        send: (buf) => p.dc.sendMessageBinary(buf),
        buffered: () => p.dc.bufferedAmount(),
        onLow: (f) => { p.dc.setBufferedAmountLowThreshold(LOW); p.dc.onBufferedAmountLow(f); },
        close: () => { p.dc.close(); a.close(); b.close(); },
        keep: p,
      });
    };
    // A JS reference to the remote channel, or it is garbage-collected and closed (environment.md §4).
    b.onDataChannel((ch) => { p.remote = remote = ch; if (onMessage) ch.onMessage((m) => onMessage(m.length)); done(); });
    p.dc = a.createDataChannel('bench');
    p.dc.onOpen(() => { opened = true; done(); });
  });
}

function wrtcPair(onMessage) {
  const { RTCPeerConnection } = require('@roamhq/wrtc');
  return new Promise((resolve, reject) => {
    const a = new RTCPeerConnection({ iceServers: [] }), b = new RTCPeerConnection({ iceServers: [] });
    const timer = setTimeout(() => reject(new Error(`wrtc: not open after ${OPEN_LIMIT_MS} ms`)), OPEN_LIMIT_MS);
    // Candidates wait for the remote description; addIceCandidate rejects after close.
    const held = { a: [], b: [] }, described = { a: false, b: false };
    const add = (pc, key, c) => (described[key] ? pc.addIceCandidate(c).catch(() => {}) : held[key].push(c));
    const flush = (pc, key) => { described[key] = true; for (const c of held[key].splice(0)) pc.addIceCandidate(c).catch(() => {}); };
    a.onicecandidate = (e) => { if (e.candidate) add(b, 'b', e.candidate); };
    b.onicecandidate = (e) => { if (e.candidate) add(a, 'a', e.candidate); };
    const dc = a.createDataChannel('bench');
    let opened = false, remote = null;
    const done = () => {
      if (!opened || !remote) return;
      clearTimeout(timer);
      resolve({
        send: (buf) => dc.send(buf),
        buffered: () => dc.bufferedAmount,
        // onbufferedamountlow never fires in 0.10.0 (environment.md §4): poll bufferedAmount.
        onLow: (f) => { const t = setInterval(() => { if (dc.bufferedAmount <= LOW) f(); }, 1); dc.poll = t; },
        close: () => { clearInterval(dc.poll); dc.close(); a.close(); b.close(); },
        keep: { a, b, dc, remote },
      });
    };
    b.ondatachannel = (e) => {
      remote = e.channel;
      remote.binaryType = 'arraybuffer';
      if (onMessage) remote.onmessage = (m) => onMessage(m.data.byteLength);
      done();
    };
    dc.onopen = () => { opened = true; done(); };  // an arrow function: a bare resolver sometimes never fired
    (async () => {
      await a.setLocalDescription(await a.createOffer());
      await b.setRemoteDescription(a.localDescription);
      flush(b, 'b');
      await b.setLocalDescription(await b.createAnswer());
      await a.setRemoteDescription(b.localDescription);
      flush(a, 'a');
    })().catch(reject);
  });
}

const pair = { 'node-datachannel': ndcPair, wrtc: wrtcPair }[stack];
if (!pair || !['goodput', 'setup', 'memory'].includes(mode)) {
  console.error('usage: node peers.js <node-datachannel|wrtc> goodput SECONDS | setup RUNS | memory PCS');
  process.exit(2);
}

async function goodput(seconds) {
  let rx = 0;
  const p = await pair((n) => { rx += n; });
  const msg = Buffer.alloc(MESSAGE, 0x5a);
  const fill = () => { while (p.buffered() < HIGH) p.send(msg); };
  p.onLow(fill);
  const t0 = process.hrtime.bigint(), before = rx;
  fill();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`goodput_mbps=${((rx - before) / 1e6 / elapsed).toFixed(1)} bytes=${rx - before} ` +
              `seconds=${elapsed.toFixed(2)} pairs=1 message=${MESSAGE}`);
}

async function setup(runs) {
  const us = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const p = await pair(null);
    us.push(Number(process.hrtime.bigint() - t0) / 1000);
    p.close();
  }
  us.sort((x, y) => x - y);
  const pct = (q) => us[Math.min(us.length - 1, Math.floor(q * us.length))];
  console.log(`runs=${runs} p50_us=${pct(0.5).toFixed(0)} p99_us=${pct(0.99).toFixed(0)} ` +
              `min_us=${us[0].toFixed(0)} max_us=${us[us.length - 1].toFixed(0)}`);
}

async function memory(pcs) {
  (await pair(null)).close();  // loads what every connection shares, as peerbench's warm pair
  await new Promise((r) => setTimeout(r, 500));
  global.gc?.();
  const base = process.memoryUsage().rss;
  const kept = [];
  // Ten set-ups at a time: one by one, libdatachannel's 1 s stalls made 500 pairs take 2 minutes.
  for (let i = 0; i < pcs / 2; i += 10)
    kept.push(...(await Promise.all(Array.from({ length: Math.min(10, pcs / 2 - i) }, () => pair(null)))));
  await new Promise((r) => setTimeout(r, 2000));  // idle, as peerbench
  global.gc?.();
  const grown = (process.memoryUsage().rss - base) / 1024;
  console.log(`pcs=${kept.length * 2} pairs=${kept.length} rss_base_kib=${(base / 1024).toFixed(0)} ` +
              `rss_growth_kib=${grown.toFixed(0)} kib_per_pc=${(grown / (kept.length * 2)).toFixed(1)}`);
}

({ goodput, setup, memory })[mode](Number(arg || (mode === 'goodput' ? 30 : mode === 'setup' ? 200 : 1000)))
  // ndc.cleanup() crashed at exit in 0.33.4 and wrtc's close segfaulted once: the figures are out, exit.
  .then(() => process.exit(0), (e) => { console.error(e.message || e); process.exit(1); });

// One interop scenario: a peerkit peer (peer_stdio, over JSON lines) and another stack from
// npm (stacks.js) connect on 127.0.0.1 and each creates a channel. String and binary messages
// go both ways on both channels with their contents checked: empty (RFC 8831 PPID 56/57) and
// several sizes up to the negotiated max-message-size. Then each side closes one channel and
// both sides must see both closes.
//
//   node interop.js <node-datachannel|wrtc> <peerkit|other>     (the second word: who offers)
// Needs PEER_STDIO (the binary). Run inside a loopback-only namespace (run.sh does).
'use strict';
const { spawn } = require('child_process');
const readline = require('readline');
const stacks = require('./stacks');

const [stackName, offerer] = process.argv.slice(2);
if (!stacks[stackName] || !['peerkit', 'other'].includes(offerer)) {
  console.error('usage: node interop.js <node-datachannel|wrtc> <peerkit|other>');
  process.exit(2);
}
const LIMIT_MS = 30000;  // the whole scenario; each wait below has its own deadline too

// The bytes both sides agree on (peer_stdio.cpp's pattern()): printable ASCII.
function pattern(size) {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = 33 + ((i * 7 + size) % 90);
  return b;
}
function fnv1a(buf) {
  let h = 2166136261;
  for (const x of buf) h = Math.imul(h ^ x, 16777619) >>> 0;
  return h.toString(16).padStart(8, '0');
}

// Events from both sides land in one list; wait() resolves on the first that matches.
const events = [];
let waiters = [];
function push(e) {
  events.push(e);
  for (const w of waiters.slice()) {
    const i = events.findIndex(w.match);
    if (i >= 0) { events.splice(i, 1); waiters = waiters.filter((x) => x !== w); clearTimeout(w.timer); w.resolve(w.take(i, e)); }
  }
}
function wait(what, match, ms = 10000) {
  const i = events.findIndex(match);
  if (i >= 0) return Promise.resolve(events.splice(i, 1)[0]);
  return new Promise((resolve, reject) => {
    const w = { match, resolve, take: (_, e) => e };
    w.timer = setTimeout(() => {
      waiters = waiters.filter((x) => x !== w);
      reject(new Error(`timed out waiting for ${what}; pending events: ${JSON.stringify(events.slice(-5)).slice(0, 600)}`));
    }, ms);
    waiters.push(w);
  });
}

function fail(message) {
  console.log(`FAIL ${stackName}, ${offerer} offers: ${message}`);
  process.exit(1);
}
setTimeout(() => fail(`scenario not done in ${LIMIT_MS} ms`), LIMIT_MS).unref();

// peerkit, over stdin/stdout.
const pk = spawn(process.env.PEER_STDIO, [], { stdio: ['pipe', 'pipe', 'inherit'] });
pk.on('exit', (code, signal) => push({ side: 'peerkit', ev: 'process-exit', code, signal }));
readline.createInterface({ input: pk.stdout }).on('line', (line) => {
  let e;
  try { e = JSON.parse(line); } catch { return fail(`peerkit printed a non-JSON line: ${line}`); }
  if (e.ev === 'error') return fail(`peerkit error: ${e.what}`);
  if (e.ev === 'candidate') return toOther(e.candidate, e.mid);
  push({ side: 'peerkit', ...e });
});
const tell = (cmd) => pk.stdin.write(JSON.stringify(cmd) + '\n');

// The other stack. peerkit's candidates wait until it has the remote description.
let otherDescribed = false;
const heldForOther = [];
function toOther(c, mid) {
  if (!c) return;  // end of candidates: not needed by either stack
  if (otherDescribed) other.addCandidate(c, mid); else heldForOther.push([c, mid]);
}
function otherHasRemote() {
  otherDescribed = true;
  for (const [c, mid] of heldForOther.splice(0)) other.addCandidate(c, mid);
  for (const cmd of heldForPeerkit.splice(0)) tell(cmd);
}
function hook(ch) {
  ch.onopen = () => push({ side: 'other', ev: 'open', label: ch.label });
  ch.onmessage = (m) => push({ side: 'other', ev: 'message', label: ch.label, data: m });
  ch.onclose = () => push({ side: 'other', ev: 'close', label: ch.label });
  return ch;
}
// The other stack's candidates, too, go to peerkit only once the other stack has both
// descriptions. libdatachannel 0.24.5 stores the remote description only after handing it to
// its ICE agent: a fast peer's checks (peerkit's) then complete ICE and the DTLS handshake
// while the fingerprint is not yet there, and it fails with "certificate verify failed"
// (1 run in 4 here, when it offered). Holding its candidates until its setRemoteDescription()
// has returned keeps peerkit's checks after that.
const heldForPeerkit = [];
function toPeerkit(c, mid) {
  const cmd = { cmd: 'candidate', candidate: c.replace(/^a=/, ''), mid };
  if (otherDescribed) tell(cmd); else heldForPeerkit.push(cmd);
}
const otherChannels = {};
const other = stacks[stackName]().create({
  onCandidate: toPeerkit,
  onChannel: (ch) => { otherChannels[ch.label] = hook(ch); push({ side: 'other', ev: 'datachannel', label: ch.label }); },
});

function maxMessageSize(sdp) {
  const m = /a=max-message-size:(\d+)/.exec(sdp);
  return m ? Number(m[1]) : 65536;  // RFC 8841: 64 KiB when absent
}

async function run() {
  let offer, answer;
  if (offerer === 'peerkit') {
    tell({ cmd: 'channel', label: 'pk' });
    tell({ cmd: 'offer' });
    offer = await wait('peerkit offer', (e) => e.ev === 'description');
    answer = await other.answer(offer);
    otherHasRemote();
    tell({ cmd: 'remote', type: answer.type, sdp: answer.sdp });
  } else {
    const made = await other.offer('ext');
    otherChannels.ext = hook(made.ch);
    offer = made.description;
    tell({ cmd: 'remote', type: offer.type, sdp: offer.sdp });
    answer = await wait('peerkit answer', (e) => e.ev === 'description');
    await other.setAnswer(answer);
    otherHasRemote();
  }
  if (offer.type !== 'offer' || answer.type !== 'answer') fail(`descriptions ${offer.type}/${answer.type}`);
  await wait('peerkit connected', (e) => e.side === 'peerkit' && e.ev === 'state' && e.state === 'connected');

  // The second channel, from the side that answered; in-band (DCEP) on the running association.
  const first = offerer === 'peerkit' ? 'pk' : 'ext';
  if (offerer === 'peerkit') otherChannels.ext = hook(other.channel('ext'));
  else tell({ cmd: 'channel', label: 'pk' });
  // Each channel opens on the side that created it and is announced on the other (a remote
  // channel is open when announced; whether an open event follows differs between stacks).
  await wait('peerkit open pk', (e) => e.side === 'peerkit' && e.ev === 'open' && e.label === 'pk');
  await wait('other datachannel pk', (e) => e.side === 'other' && e.ev === 'datachannel' && e.label === 'pk');
  await wait('other open ext', (e) => e.side === 'other' && e.ev === 'open' && e.label === 'ext');
  await wait('peerkit datachannel ext', (e) => e.side === 'peerkit' && e.ev === 'datachannel' && e.label === 'ext');
  console.log(`connected, channels open (first: ${first})`);

  const max = Math.min(maxMessageSize(offer.sdp), maxMessageSize(answer.sdp));
  const sizes = [...new Set([0, 1, 1200, 16384, 65536, max].filter((s) => s <= max))];
  let exchanged = 0;
  for (const label of ['pk', 'ext']) {
    for (const binary of [false, true]) {
      for (const size of sizes) {
        const what = `${label} ${binary ? 'binary' : 'string'} ${size}`;
        // other → peerkit (checked by peerkit's report), and peerkit's echo → other.
        const bytes = pattern(size);
        otherChannels[label].send(binary ? bytes : bytes.toString('latin1'));
        const got = await wait(`peerkit got ${what}`, (e) => e.side === 'peerkit' && e.ev === 'message' && e.label === label);
        if (got.binary !== binary || got.size !== size || got.hash !== fnv1a(bytes))
          fail(`peerkit got ${what} as ${got.binary ? 'binary' : 'string'} ${got.size} bytes hash ${got.hash}`);
        await expectAtOther(`echo of ${what}`, label, binary, bytes);
        // peerkit → other.
        tell({ cmd: 'send', label, binary, size });
        const r = await wait(`peerkit send ${what}`, (e) => e.side === 'peerkit' && e.ev === 'result');
        if (r.error) fail(`peerkit send ${what}: ${r.error}`);
        await expectAtOther(what, label, binary, bytes);
        exchanged += 2;
      }
    }
  }
  console.log(`${exchanged / 2} messages each way and their echoes checked (sizes ${sizes.join(', ')}; max-message-size ${max})`);

  // Each side closes the channel the other created; both sides must see both closes.
  otherChannels.pk.close();
  await wait('peerkit close pk', (e) => e.side === 'peerkit' && e.ev === 'close' && e.label === 'pk');
  await wait('other close pk', (e) => e.side === 'other' && e.ev === 'close' && e.label === 'pk');
  tell({ cmd: 'close', label: 'ext' });
  await wait('other close ext', (e) => e.side === 'other' && e.ev === 'close' && e.label === 'ext');
  await wait('peerkit close ext', (e) => e.side === 'peerkit' && e.ev === 'close' && e.label === 'ext');
  console.log('close seen on both sides, both channels');

  tell({ cmd: 'exit' });
  await wait('peerkit exited', (e) => e.side === 'peerkit' && e.ev === 'exited');
  const ex = await wait('peerkit process exit', (e) => e.ev === 'process-exit');
  if (ex.code !== 0) fail(`peerkit exited with ${ex.code} ${ex.signal || ''}`);
  other.close();
  console.log(`PASS ${stackName}, ${offerer === 'peerkit' ? 'peerkit' : stackName} offers`);
  process.exit(0);
}

async function expectAtOther(what, label, binary, bytes) {
  const m = await wait(`other got ${what}`, (e) => e.side === 'other' && e.ev === 'message' && e.label === label);
  const isString = typeof m.data === 'string';
  if (isString === binary) fail(`other got ${what} as ${isString ? 'string' : 'binary'}`);
  const got = isString ? Buffer.from(m.data, 'latin1') : m.data;
  if (!got.equals(bytes)) fail(`other got ${what}: ${got.length} bytes, contents differ`);
}

pk.on('error', (e) => fail(`cannot start ${process.env.PEER_STDIO}: ${e.message}`));
run().catch((e) => fail(e.stack || String(e)));

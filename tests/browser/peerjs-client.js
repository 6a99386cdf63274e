// Acceptance 4: the real PeerJS client (npm peerjs 1.5.x, and 1.4.7) against `peerkit serve`, unchanged:
// a data connection with `binary` and `json` serialization both ways, and a media call with
// video. The test page is served at the server's own origin through Playwright routing, so the
// client talks to peerkit's real HTTP API and WebSocket.
'use strict';
const fs = require('fs');
const { BASE, launch, check, run } = require('./lib');

// PEERJS_PACKAGE=peerjs-1.4 runs the same checks with the 1.4.7 client (an npm alias).
const PACKAGE = process.env.PEERJS_PACKAGE || 'peerjs';
const PEERJS = fs.readFileSync(require.resolve(`${PACKAGE}/dist/peerjs.min.js`), 'utf8');
const VERSION = require(`${PACKAGE}/package.json`).version;
// peerjs 1.4's binarypack 1.0 miscounts the UTF-8 length of characters outside the BMP (a
// client-side bug, not a signaling matter), so 1.4 exchanges BMP-only text.
const TEXT = VERSION.startsWith('1.4') ? 'hé ü' : 'hé 🙂';
// Runs inside each page: registers a Peer with the ICE servers peerkit hands out, echoes every
// data message back with the connection's serialization, answers calls with the fake camera.
async function setup({ id, debug }) {
  const v = document.createElement('video');
  v.id = 'v'; v.autoplay = true; v.muted = true; v.playsInline = true;
  document.body.append(v);
  window.v = v;
  const ice = await (await fetch('/api/ice-servers?id=' + encodeURIComponent(id))).json();
  window.peer = new Peer(id, { host: location.hostname, port: Number(location.port), path: '/',
    secure: false, config: { iceServers: ice.iceServers }, debug });
  await new Promise((res, rej) => { peer.on('open', res); peer.on('error', (e) => rej(new Error(e.type + ': ' + e.message))); });
  window.received = [];
  peer.on('connection', (c) => c.on('data', (d) => {
    received.push({ serialization: c.serialization, data: d instanceof ArrayBuffer ? { bytes: [...new Uint8Array(d)] } : d });
    c.send({ echo: d, via: c.serialization });
  }));
  peer.on('call', async (call) => {
    const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
    call.answer(stream);
    call.on('stream', (remote) => { v.srcObject = remote; });
  });
  return peer.id;
}

run(`peerjs ${VERSION} client`, async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext();
    // Only the client library is routed in; the page itself is a real document of the server's
    // origin (Chromium's local-network-access checks treat fulfilled documents as public and
    // would block their connections to 127.0.0.1).
    await context.route(BASE + '/__test/peerjs.min.js', (route) => route.fulfill({ contentType: 'text/javascript', body: PEERJS }));
    const suffix = Math.random().toString(36).slice(2, 8);
    const alice = await context.newPage();
    const bob = await context.newPage();
    for (const p of [alice, bob]) {
      p.on('pageerror', (e) => console.log('page error: ' + e.message));
      if (process.env.DEBUG) p.on('console', (m) => console.log('console: ' + m.text()));
    }
    for (const [page, id] of [[alice, `alice-${suffix}`], [bob, `bob-${suffix}`]]) {
      await page.goto(`${BASE}/healthz`);
      await page.addScriptTag({ url: '/__test/peerjs.min.js' });
      check(await page.evaluate(setup, { id, debug: process.env.DEBUG ? 3 : 1 }) === id, `${id} registers (OPEN)`);
    }

    for (const serialization of ['binary', 'json']) {
      const reply = await alice.evaluate(async ({ to, serialization, text }) => {
        const c = peer.connect(to, { serialization, reliable: true });
        await new Promise((res, rej) => { c.on('open', res); c.on('error', rej); setTimeout(() => rej(new Error('open timeout')), 15000); });
        const got = new Promise((res) => c.on('data', res));
        const value = serialization === 'binary'
          ? { text, n: 42, f: 1.5, list: [true, null, 'x'], bytes: new Uint8Array([1, 2, 3, 250]) }
          : { text, n: 42, nested: { list: [1, 2, 3] } };
        c.send(value);
        const answer = await got;
        const norm = (v) => v instanceof ArrayBuffer ? { bytes: [...new Uint8Array(v)] } : Array.isArray(v) ? v.map(norm) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)])) : v;
        return norm(answer);
      }, { to: `bob-${suffix}`, serialization, text: TEXT });
      const got = await bob.evaluate(() => window.received.at(-1));
      if (serialization === 'binary') {
        check(got.serialization === 'binary' && got.data.text === TEXT && got.data.n === 42 && got.data.f === 1.5 &&
          JSON.stringify(got.data.list) === '[true,null,"x"]', 'binary: alice → bob', got);
        check(reply.via === 'binary' && reply.echo.text === TEXT && JSON.stringify(reply.echo.bytes) === '{"bytes":[1,2,3,250]}',
          'binary: bob → alice (echo with bytes)', reply);
      } else {
        check(got.serialization === 'json' && JSON.stringify(got.data) === JSON.stringify({ text: TEXT, n: 42, nested: { list: [1, 2, 3] } }), 'json: alice → bob', got);
        check(reply.via === 'json' && JSON.stringify(reply.echo) === JSON.stringify(got.data), 'json: bob → alice', reply);
      }
    }

    const call = await alice.evaluate(async (to) => {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
      const call = peer.call(to, stream);
      const remote = await new Promise((res, rej) => { call.on('stream', res); call.on('error', rej); setTimeout(() => rej(new Error('no stream')), 20000); });
      v.srcObject = remote;
      const frames = await new Promise((res) => { let n = 0; const cb = () => { if (++n >= 20) res(n); else v.requestVideoFrameCallback(cb); }; v.requestVideoFrameCallback(cb); });
      return { frames, tracks: remote.getVideoTracks().length, size: v.videoWidth + 'x' + v.videoHeight };
    }, `bob-${suffix}`);
    check(call.frames >= 20 && call.tracks === 1, 'media call: alice receives bob\'s video', call);
    const bobFrames = await bob.waitForFunction(() => v.srcObject && v.getVideoPlaybackQuality().totalVideoFrames > 20 && v.getVideoPlaybackQuality().totalVideoFrames, null, { timeout: 20000 });
    check(await bobFrames.jsonValue() > 20, 'media call: bob receives alice\'s video');

    // An id nobody holds: the server answers with EXPIRE, which the client reports as peer-unavailable.
    const unavailable = await alice.evaluate(() => new Promise((res) => {
      peer.once('error', (e) => res(e.type));
      peer.connect('nobody-' + Math.random());
      setTimeout(() => res('no error'), 15000);
    }));
    check(unavailable === 'peer-unavailable', 'unknown id: peer-unavailable after EXPIRE', unavailable);
  } finally {
    await browser.close();
  }
});

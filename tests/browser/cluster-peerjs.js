// Issue 12 acceptance 1 (browser part): three `peerkit serve --cluster` nodes on one Redis act
// as one PeerJS server for the unchanged npm `peerjs` client. Pages on different nodes: a data
// connection alice (node 1) → bob (node 2) carries messages both ways; a media call bob (node 2)
// → carol (node 3) plays video on both ends; an id held on node 1 is ID-TAKEN on node 3; an
// unknown id is EXPIREd (peer-unavailable) across the cluster.
'use strict';
const fs = require('fs');
const { launch, check, run } = require('./lib');
const { Cluster, waitFor } = require('./cluster-lib');

const PEERJS = fs.readFileSync(require.resolve('peerjs/dist/peerjs.min.js'), 'utf8');

// Runs inside each page: a Peer on this page's node with the ICE servers that node hands out;
// echoes data back, answers calls with the fake camera and plays what it receives.
async function setup({ id }) {
  const v = document.createElement('video');
  v.id = 'v'; v.autoplay = true; v.muted = true; v.playsInline = true;
  document.body.append(v);
  window.v = v;
  const ice = await (await fetch('/api/ice-servers?id=' + encodeURIComponent(id))).json();
  window.peer = new Peer(id, { host: location.hostname, port: Number(location.port), path: '/',
    secure: false, config: { iceServers: ice.iceServers }, debug: 1 });
  await new Promise((res, rej) => { peer.on('open', res); peer.on('error', (e) => rej(new Error(e.type + ': ' + e.message))); });
  window.received = [];
  peer.on('connection', (c) => c.on('data', (d) => { received.push(d); c.send({ echo: d, from: peer.id }); }));
  peer.on('call', async (call) => {
    call.answer(await navigator.mediaDevices.getUserMedia({ video: true, audio: false }));
    call.on('stream', (remote) => { v.srcObject = remote; });
  });
  return peer.id;
}

// Frames decoded by the page's <video>, once it plays a track of non-zero size.
async function framesPlaying(page, min = 20) {
  const h = await page.waitForFunction((n) => {
    const q = v.srcObject && v.getVideoPlaybackQuality().totalVideoFrames;
    return q >= n && v.videoWidth > 0 ? { frames: q, size: `${v.videoWidth}x${v.videoHeight}` } : false;
  }, min, { timeout: 20000, polling: 100 });
  return h.jsonValue();
}

run('cluster peerjs (3 nodes)', async () => {
  const cluster = new Cluster();
  let browser;
  let ok = false;
  try {
    await cluster.startRedis(6391);
    const nodes = [1, 2, 3].map((i) => cluster.startNode(`pj${i}`, 9200 + i, 3580 + i, ['--allow_discovery']));
    await cluster.waitRegistered();
    check(true, 'three nodes registered in Redis and see each other');

    browser = await launch();
    const context = await browser.newContext();
    await context.route('**/__test/peerjs.min.js', (route) => route.fulfill({ contentType: 'text/javascript', body: PEERJS }));
    const suffix = Math.random().toString(36).slice(2, 8);
    const open = async (node, name) => {
      const page = await context.newPage();
      page.on('pageerror', (e) => console.log(`[${name}] page error: ${e.message}`));
      if (process.env.DEBUG) page.on('console', (m) => console.log(`[${name}] ${m.text()}`));
      await page.goto(`${node.base}/healthz`);
      await page.addScriptTag({ url: '/__test/peerjs.min.js' });
      const id = `${name}-${suffix}`;
      check(await page.evaluate(setup, { id }) === id, `${id} registers (OPEN) on node ${node.id}`);
      return page;
    };
    const alice = await open(nodes[0], 'alice');
    const bob = await open(nodes[1], 'bob');
    const carol = await open(nodes[2], 'carol');

    // Discovery lists the cluster, from any node (each node refreshes its list every second).
    const listed = await waitFor('node 3 to list every id', async () => {
      const ids = await (await fetch(nodes[2].base + '/peerjs/peers')).json();
      return ['alice', 'bob', 'carol'].every((n) => ids.includes(`${n}-${suffix}`)) ? ids : false;
    }, 5000).catch((e) => e.message);
    check(Array.isArray(listed), 'GET /peerjs/peers on node 3 lists the ids of all nodes', listed);

    // Data: alice (node 1) → bob (node 2) and bob's echo back; then bob writes on his own.
    const echo = await alice.evaluate(async (to) => {
      const c = peer.connect(to, { serialization: 'json', reliable: true });
      await new Promise((res, rej) => { c.on('open', res); c.on('error', rej); setTimeout(() => rej(new Error('open timeout')), 15000); });
      window.replies = [];
      const first = new Promise((res) => c.on('data', (d) => { replies.push(d); res(d); }));
      c.send({ text: 'hello bob', n: 1 });
      return Promise.race([first, new Promise((_, rej) => setTimeout(() => rej(new Error('no echo')), 15000))]);
    }, `bob-${suffix}`).catch((e) => e.message);
    const bobSaw = await bob.evaluate(() => window.received);
    check(bobSaw.length === 1 && bobSaw[0].text === 'hello bob', 'data alice (node 1) → bob (node 2)', bobSaw);
    check(echo && echo.echo && echo.echo.text === 'hello bob' && echo.from === `bob-${suffix}`, 'data bob (node 2) → alice (node 1): the echo', echo);
    await bob.evaluate(() => Object.values(peer.connections).flat()[0].send({ text: 'hi alice', from: peer.id }));
    const second = await alice.waitForFunction(() => window.replies.length >= 2 && window.replies[1], null, { timeout: 10000 })
      .then((h) => h.jsonValue()).catch((e) => e.message);
    check(second && second.text === 'hi alice', 'data bob (node 2) → alice (node 1): a message of his own', second);

    // Media: bob (node 2) calls carol (node 3) with video; both play the other's track.
    const call = await bob.evaluate(async (to) => {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
      const call = peer.call(to, stream);
      const remote = await new Promise((res, rej) => { call.on('stream', res); call.on('error', rej); setTimeout(() => rej(new Error('no stream')), 20000); });
      v.srcObject = remote;
      return remote.getVideoTracks().length;
    }, `carol-${suffix}`).catch((e) => e.message);
    check(call === 1, 'media call bob (node 2) → carol (node 3): bob gets a remote video track', call);
    const bobPlays = await framesPlaying(bob).catch((e) => e.message);
    check(bobPlays.frames >= 20, 'bob decodes carol\'s video', bobPlays);
    const carolPlays = await framesPlaying(carol).catch((e) => e.message);
    check(carolPlays.frames >= 20, 'carol decodes bob\'s video', carolPlays);
    const stats = await carol.evaluate(async () => {
      const pc = Object.values(peer.connections).flat()[0].peerConnection;
      for (const s of (await pc.getStats()).values()) if (s.type === 'inbound-rtp' && s.kind === 'video') return s.framesDecoded;
      return 0;
    });
    check(stats > 0, 'carol\'s getStats: inbound video framesDecoded > 0', stats);

    // An id held on node 1 cannot be taken on node 3.
    const taken = await carol.evaluate((id) => new Promise((res) => {
      const p = new Peer(id, { host: location.hostname, port: Number(location.port), path: '/', secure: false, debug: 0 });
      p.on('open', () => { res('opened'); p.destroy(); });
      p.on('error', (e) => { res(e.type); p.destroy(); });
      setTimeout(() => res('no answer'), 10000);
    }), `alice-${suffix}`);
    check(taken === 'unavailable-id', 'alice\'s id (node 1) is ID-TAKEN on node 3', taken);

    // An id nobody holds on any node: EXPIRE, reported by the client as peer-unavailable.
    const unknown = await bob.evaluate(() => new Promise((res) => {
      peer.once('error', (e) => res(e.type));
      peer.connect('nobody-' + Math.random());
      setTimeout(() => res('no error'), 15000);
    }));
    check(unknown === 'peer-unavailable', 'unknown id: peer-unavailable (EXPIRE) from the cluster', unknown);
    check(cluster.unexpectedExits().length === 0, 'no node exited', cluster.unexpectedExits());
    ok = true;
  } finally {
    if (browser) await browser.close();
    await cluster.stop(!ok);
  }
}, 60000);

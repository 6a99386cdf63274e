// Chromium against a peerkit PeerConnection (tests/browser/dc_peer, public API only) on a test
// page of this test's own (page.evaluate on the server's /healthz; nothing is added to the web app):
// unordered and partially reliable channels (maxRetransmits, maxPacketLifeTime) both ways — the
// browser's announced to us with DCEP and ours announced to the browser —, 16 channels at once,
// messages from empty to the 256 KiB max-message-size, and closes seen on both sides.
'use strict';
const path = require('path');
const { BASE, launch, check, run } = require('./lib');
const { Proc } = require('./join-lib');

const DC_PEER = process.env.DC_PEER || path.join(__dirname, '../../build/bin/dc_peer');

run('data channels against Chromium', async () => {
  const browser = await launch();
  const peer = new Proc(DC_PEER, [], 'dc_peer');
  let seen = 0;  // peer lines already relayed
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
    page.on('console', (m) => { if (process.env.VERBOSE) console.log(`# [page] ${m.text()}`); });
    await page.exposeFunction('toPeer', (msg) => peer.write(msg + '\n'));
    // Relay what the peer prints to the page, as it comes.
    // One relay at a time, so the page gets the lines in the order they were printed.
    let relaying = false;
    const relay = setInterval(async () => {
      if (relaying) return;
      relaying = true;
      while (seen < peer.lines.length) {
        const l = peer.lines[seen++];
        if (l.stream !== 'stdout') continue;
        await page.evaluate((t) => window.fromPeer(JSON.parse(t)), l.text).catch((e) => console.log(`# relay: ${e.message}`));
      }
      relaying = false;
    }, 20);

    // A page of the test server's origin (a secure context: 127.0.0.1), with the fake
    // microphone granted: without a media permission Chromium hides host addresses behind mDNS
    // names and gathers nothing on a loopback-only machine.
    await page.goto(BASE + '/healthz');
    await page.evaluate(async () => (await navigator.mediaDevices.getUserMedia({ audio: true })).getTracks().forEach((x) => x.stop()));
    await page.evaluate(() => {
      const t = window.t = { events: [], channels: {}, got: {}, closed: {}, remote: {} };
      const pc = t.pc = new RTCPeerConnection();
      const specs = [
        ['unordered', { ordered: false }],
        ['rexmit0', { ordered: false, maxRetransmits: 0 }],
        ['lifetime', { ordered: false, maxPacketLifeTime: 500 }],
        ['ordered-rexmit3', { maxRetransmits: 3, protocol: 'p-test' }],
      ];
      for (let i = 0; i < 16; i++) specs.push([`multi-${i}`, {}]);
      const watch = (ch) => {
        ch.binaryType = 'arraybuffer';
        t.got[ch.label] = [];
        ch.onmessage = (e) => t.got[ch.label].push(typeof e.data === 'string' ? 's:' + e.data.length + ':' + e.data.slice(0, 16) : 'b:' + e.data.byteLength);
        ch.onclose = () => { t.closed[ch.label] = true; };
      };
      for (const [label, init] of specs) { const ch = pc.createDataChannel(label, init); t.channels[label] = ch; watch(ch); }
      pc.ondatachannel = (e) => { t.remote[e.channel.label] = e.channel; t.channels[e.channel.label] = e.channel; watch(e.channel); };
      pc.onicecandidate = (e) => window.toPeer(JSON.stringify({ candidate: e.candidate ? e.candidate.toJSON() : null }));
      // Candidates that come before the answer wait for it (addIceCandidate refuses them).
      const held = [];
      window.fromPeer = async (m) => {
        if (m.sdp) {
          await pc.setRemoteDescription(m.sdp);
          for (const c of held.splice(0)) await pc.addIceCandidate(c || undefined);
        } else if ('candidate' in m) {
          if (pc.remoteDescription) await pc.addIceCandidate(m.candidate || undefined);
          else held.push(m.candidate);
        } else t.events.push(m);
      };
      return pc.createOffer().then((o) => pc.setLocalDescription(o)).then(() => window.toPeer(JSON.stringify({ sdp: pc.localDescription })));
    });

    await page.waitForFunction(() => Object.values(window.t.channels).length === 20 && Object.values(window.t.channels).every((c) => c.readyState === 'open'), null, { timeout: 20000 })
      .catch(async (e) => {
        const pcState = await page.evaluate(async () => ({ ice: window.t.pc.iceConnectionState, conn: window.t.pc.connectionState,
          signaling: window.t.pc.signalingState, events: window.t.events,
          stats: [...(await window.t.pc.getStats()).values()].filter((r) => /candidate/.test(r.type)).map((r) => `${r.type} ${r.address || ''}:${r.port || ''} ${r.state || ''}`) }));
        throw new Error(`channels did not open: ${JSON.stringify(pcState)}\n${peer.tail()}`);
      });
    check(true, '20 browser channels open against peerkit (4 unordered/partially reliable, 16 at once)');
    // peerkit's view arrives through the relay: wait for it.
    await page.waitForFunction(() => window.t.events.filter((e) => e.event === 'channel').length >= 20, null, { timeout: 10000 }).catch(() => {});
    const announced = await page.evaluate(() => window.t.events.filter((e) => e.event === 'channel'));
    const byLabel = Object.fromEntries(announced.map((e) => [e.label, e]));
    check(announced.length === 20, 'peerkit saw every DCEP open', announced.length);
    check(byLabel.unordered && byLabel.unordered.ordered === false && byLabel.rexmit0.ordered === false && byLabel.lifetime.ordered === false,
      'peerkit reads the browser\'s unordered channels as unordered', [byLabel.unordered, byLabel.rexmit0, byLabel.lifetime]);
    check(byLabel['ordered-rexmit3'] && byLabel['ordered-rexmit3'].ordered === true && byLabel['ordered-rexmit3'].protocol === 'p-test',
      'peerkit reads an ordered partially reliable channel and its protocol', byLabel['ordered-rexmit3']);
    const ids = announced.map((e) => e.id);
    check(new Set(ids).size === 20 && ids.every((id) => id >= 0 && id % 2 === ids[0] % 2), 'the channel ids are distinct and of one parity', ids);

    // Channels of ours, announced to the browser with DCEP.
    peer.write(JSON.stringify({ create: { label: 'ours-rexmit0', ordered: false, maxRetransmits: 0 } }) + '\n');
    peer.write(JSON.stringify({ create: { label: 'ours-lifetime', ordered: false, maxPacketLifeTime: 300 } }) + '\n');
    const ours = await (await page.waitForFunction(() => {
      const a = window.t.remote['ours-rexmit0'], b = window.t.remote['ours-lifetime'];
      return a && b && a.readyState === 'open' && b.readyState === 'open' &&
        { a: { ordered: a.ordered, maxRetransmits: a.maxRetransmits, id: a.id }, b: { ordered: b.ordered, maxPacketLifeTime: b.maxPacketLifeTime, id: b.id } };
    }, null, { timeout: 10000 })).jsonValue();
    check(ours.a.ordered === false && ours.a.maxRetransmits === 0 && ours.b.ordered === false && ours.b.maxPacketLifeTime === 300,
      'Chromium reads peerkit\'s unordered, maxRetransmits and maxPacketLifeTime channels as announced', ours);

    // Echo on every channel at once: text and binary, empty up to the 256 KiB max-message-size
    // (about 6 MiB in flight each way). The burst overflows loopback socket buffers, so packets
    // are lost and the partially reliable channels abandon some messages (FORWARD TSN) while the
    // reliable ones must still deliver everything.
    const PR = ['rexmit0', 'lifetime', 'ordered-rexmit3', 'ours-rexmit0', 'ours-lifetime'];
    const burst = (labels, count, sizes) => page.evaluate(([labels, count, sizes]) => {
      const expect = {};
      for (const label of labels) {
        const ch = window.t.channels[label];
        window.t.got[label] = [];
        expect[label] = [];
        for (let i = 0; i < count; i++) {
          const s = 'x'.repeat(i % 3 === 0 ? 0 : 10 + i) + `#${i}`;
          ch.send(s); expect[label].push('s:' + s.length + ':' + s.slice(0, 16));
          const n = sizes[i % sizes.length];
          ch.send(new Uint8Array(n)); expect[label].push('b:' + n);
        }
      }
      return expect;
    }, [labels, count, sizes]);
    const collect = (exp, done) => page.waitForFunction(([exp, done]) => {
      const t = window.t;
      const labels = Object.keys(exp);
      const reliableDone = labels.filter((l) => !done.includes(l)).every((l) => t.got[l].length >= exp[l].length);
      return reliableDone && Object.fromEntries(labels.map((l) => [l, t.got[l]]));
    }, [exp, done], { timeout: 30000 }).catch(async () => {
      const counts = await page.evaluate((exp) => Object.keys(exp).map((l) => `${l}: ${window.t.got[l].length}/${exp[l].length} ${window.t.channels[l].readyState}`), exp);
      throw new Error(`echoes missing: ${counts.join(', ')}\n${peer.tail()}`);
    }).then((h) => h.jsonValue());
    const all = await page.evaluate(() => Object.keys(window.t.channels));
    const sent = await burst(all, 10, [0, 1, 1000, 1200, 16384, 65536, 262144]);
    const result = await collect(sent, PR);
    const sameOrder = (l) => JSON.stringify(result[l]) === JSON.stringify(sent[l]);
    const sameSet = (l) => JSON.stringify([...result[l]].sort()) === JSON.stringify([...sent[l]].sort());
    const orderedLabels = all.filter((l) => l.startsWith('multi-'));
    check(orderedLabels.every(sameOrder), `16 ordered reliable channels echo every message in order next to partially reliable ones`, orderedLabels.filter((l) => !sameOrder(l)));
    check(sameSet('unordered'), 'the unordered reliable channel delivers every message, in any order', result.unordered.length);
    check(result['multi-0'].includes('b:262144') && result.unordered.includes('b:262144'), '256 KiB messages (the max-message-size) reassembled both ways');
    // Partially reliable: what arrives was sent, at most once (the test cannot see the peer's
    // abandoned messages, but a duplicate or an invented message would show).
    const settled = await (await page.waitForFunction((pr) => {
      // Wait until nothing more comes for these channels: two polls with the same counts.
      const now = pr.map((l) => window.t.got[l].length).join();
      const same = window.__lastPr === now;
      window.__lastPr = now;
      return same && Object.fromEntries(pr.map((l) => [l, window.t.got[l]]));
    }, PR, { timeout: 30000, polling: 500 })).jsonValue();
    const subset = (l) => settled[l].every((x) => sent[l].includes(x)) && new Set(settled[l].filter((x) => x.startsWith('s:'))).size === settled[l].filter((x) => x.startsWith('s:')).length;
    const kept = PR.map((l) => `${l} ${settled[l].length}/${sent[l].length}`);
    check(PR.every(subset), 'partially reliable channels deliver only what was sent, each text once, under loss', kept);
    console.log(`# partially reliable under the burst: ${kept.join(', ')}`);
    // On an idle link nothing is lost: small messages on the partially reliable channels all come back.
    const quiet = await burst(PR, 5, [10, 100]);
    const quietResult = await collect(quiet, []);
    check(PR.every((l) => JSON.stringify([...quietResult[l]].sort()) === JSON.stringify([...quiet[l]].sort())),
      'partially reliable channels (maxRetransmits 0/3, maxPacketLifeTime) deliver everything on an idle link', quietResult);

    // Closes: the browser closes one (peerkit sees it); peerkit closes one (the browser sees it).
    const mark = peer.mark();
    await page.evaluate(() => window.t.channels['multi-3'].close());
    await peer.waitLine(/"event":"close","label":"multi-3"/, { since: mark });
    await page.waitForFunction(() => window.t.closed['multi-3'], null, { timeout: 5000 });
    check(true, 'a channel closed by the browser is seen closed by peerkit');
    await page.evaluate(() => window.t.channels['multi-4'].send('close-me'));
    await page.waitForFunction(() => window.t.closed['multi-4'] && window.t.channels['multi-4'].readyState === 'closed', null, { timeout: 5000 });
    await peer.waitLine(/"event":"close","label":"multi-4"/, { since: mark });
    check(true, 'a channel closed by peerkit is seen closed by the browser');
    const others = await page.evaluate(() => Object.entries(window.t.channels).filter(([l, c]) => l !== 'multi-3' && l !== 'multi-4' && c.readyState !== 'open').map(([l]) => l));
    check(others.length === 0, 'the other channels stay open', others);
    // The browser closes the connection: peerkit's channels close and the connection leaves "connected".
    const mark2 = peer.mark();
    await page.evaluate(() => window.t.pc.close());
    await peer.waitLine(/"event":"close","label":"multi-0"/, { since: mark2, timeout: 10000 });
    const state = await peer.waitLine(/"event":"state","state":"(closed|disconnected|failed)"/, { since: mark2, timeout: 15000 });
    check(true, `peerkit sees the browser close the connection (channels closed, ${state})`);
    clearInterval(relay);
    peer.child.stdin.end();
    const code = await Promise.race([peer.exited, new Promise((r) => setTimeout(() => r('timeout'), 10000))]);
    check(code === 0, 'dc_peer exits cleanly when its input ends', code);
  } finally {
    await peer.stop('SIGKILL');
    await browser.close();
  }
}, 120000);

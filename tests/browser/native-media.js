// A native peerkit track played by Chromium (tests/browser/dc_peer, public API only): peerkit
// offers a sendonly Opus track and sends a 20 ms silence frame every 20 ms; Chromium answers
// recvonly and decodes it. Both ends' RTCP is checked against a stack we did not write:
// Chromium reads peerkit's sender reports (its remote-outbound-rtp stats exist only from an
// SR: RFC 3550 §6.4.1), and peerkit reads Chromium's receiver reports naming them (its
// round_trip_time exists only from a block whose LSR is one of its SRs).
'use strict';
const path = require('path');
const { BASE, launch, check, run } = require('./lib');
const { Proc } = require('./join-lib');

const DC_PEER = process.env.DC_PEER || path.join(__dirname, '../../build/bin/dc_peer');

run('a native audio track in Chromium', async () => {
  const browser = await launch();
  const peer = new Proc(DC_PEER, [], 'dc_peer');
  let seen = 0;
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
    await page.exposeFunction('toPeer', (msg) => peer.write(msg + '\n'));
    // One relay at a time, so the page gets the peer's lines in the order they were printed.
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

    // As datachannels.js: a secure-context page with the media permission, so Chromium gathers
    // its loopback host candidate instead of an mDNS name.
    await page.goto(BASE + '/healthz');
    await page.evaluate(async () => (await navigator.mediaDevices.getUserMedia({ audio: true })).getTracks().forEach((x) => x.stop()));
    await page.evaluate(() => {
      const t = window.t = { events: [], tracks: 0 };
      const pc = t.pc = new RTCPeerConnection();
      pc.ontrack = (e) => {
        t.tracks++;
        // Played, so that the audio pipeline pulls and decodes what arrives.
        const audio = new Audio();
        audio.srcObject = new MediaStream([e.track]);
        audio.play().catch(() => {});
        t.audio = audio;
      };
      pc.onicecandidate = (e) => window.toPeer(JSON.stringify({ candidate: e.candidate ? e.candidate.toJSON() : null }));
      const held = [];
      window.fromPeer = async (m) => {
        if (m.sdp) {
          await pc.setRemoteDescription(m.sdp);
          const answer = await pc.createAnswer();
          await pc.setLocalDescription(answer);
          window.toPeer(JSON.stringify({ sdp: pc.localDescription }));
          for (const c of held.splice(0)) await pc.addIceCandidate(c || undefined);
        } else if ('candidate' in m) {
          if (pc.remoteDescription) await pc.addIceCandidate(m.candidate || undefined);
          else held.push(m.candidate);
        } else t.events.push(m);
      };
    });
    peer.write(JSON.stringify({ 'offer-audio': true }) + '\n');

    // The page's audio stats, polled from here (waitForFunction does not await an async
    // predicate: its promise is truthy at once) until `want` holds or the deadline passes.
    const audioStats = () => page.evaluate(async () => {
      const out = {};
      (await window.t.pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio') out.inbound = s;
        if (s.type === 'remote-outbound-rtp' && s.kind === 'audio') out.remote = s;
      });
      return out;
    });
    const until = async (want, timeout) => {
      const deadline = Date.now() + timeout;
      let last = await audioStats();
      while (!want(last) && Date.now() < deadline) {
        await page.waitForTimeout(250);  // the poll interval
        last = await audioStats();
      }
      return last;
    };
    const first = await until((s) => s.inbound && s.inbound.packetsReceived >= 100 && s.inbound.totalSamplesReceived > 0, 30000);
    check(first.inbound && first.inbound.packetsReceived >= 100, 'Chromium receives peerkit\'s Opus track (≥ 100 packets)',
          { inbound: first.inbound, ice: await page.evaluate(() => window.t.pc.iceConnectionState), peer: peer.tail(5) });
    if (first.inbound) {
      const { packetsReceived, packetsLost, totalSamplesReceived, concealedSamples } = first.inbound;
      check(packetsLost === 0, 'no packet lost on loopback', { packetsLost, packetsReceived });
      // 960 samples a packet; concealment only around the jitter buffer's start.
      check(totalSamplesReceived >= 50 * 960 && concealedSamples < totalSamplesReceived / 4,
            'the decoder plays the frames as audio, not concealment', { totalSamplesReceived, concealedSamples });
    }

    // peerkit's SRs (one a second) as Chromium read them.
    const { remote } = await until((s) => s.remote && s.remote.reportsSent >= 2, 15000);
    check(remote && remote.reportsSent >= 2 && remote.packetsSent > 0 && remote.bytesSent === remote.packetsSent * 3,
          'Chromium reads peerkit\'s sender reports (remote-outbound-rtp: two of them, counts of 3-byte payloads)', remote);
    // Its remote timestamp is our wall clock at the SR: within a few seconds of the page's.
    if (remote) check(Math.abs(remote.remoteTimestamp - Date.now()) < 5000, 'the SR\'s NTP time is the wall clock', { remoteTimestamp: remote.remoteTimestamp, now: Date.now() });

    // Chromium's receiver reports (audio: every few seconds) name our SRs: peerkit's round trip.
    let ours = null;
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      const mark = peer.mark();
      peer.write(JSON.stringify({ stats: true }) + '\n');
      const line = await peer.waitLine(/"event":"stats"/, { since: mark, timeout: 5000 });
      const audio = JSON.parse(line).streams.find((s) => s.kind === 'audio');
      ours = audio;
      if (audio && typeof audio.roundTripTime === 'number') break;
      await page.waitForTimeout(500);  // the next stats poll; Chromium reports on its own clock
    }
    check(ours && typeof ours.roundTripTime === 'number' && ours.roundTripTime >= 0 && ours.roundTripTime < 1 &&
          ours.senderReports >= 2 && ours.remotePacketsLost === 0,
          'peerkit reads Chromium\'s receiver reports: the round trip of its SRs, no loss', ours);
    clearInterval(relay);
  } finally {
    peer.child.stdin.end();
    await peer.stop();
    await browser.close();
  }
}, 120000);

// A native peerkit track played by Chromium (tests/browser/dc_peer, public API only): peerkit
// offers a sendonly Opus track and sends a 20 ms silence frame every 20 ms; Chromium answers
// recvonly and decodes it. Both ends' RTCP is checked against a stack we did not write:
// Chromium reads peerkit's sender reports (its remote-outbound-rtp stats exist only from an
// SR: RFC 3550 §6.4.1), and peerkit reads Chromium's receiver reports naming them (its
// round_trip_time exists only from a block whose LSR is one of its SRs). Then a native VP8
// track (undecodable frames of three 1 100-byte packets) with 5 % of its packets dropped by
// iptables (statistic, by their exact size): Chromium NACKs, peerkit sends them again from its
// history, and Chromium's loss is what the retransmissions could not repair.
'use strict';
const { execFileSync } = require('child_process');
const path = require('path');
const { BASE, launch, check, run } = require('./lib');
const { Proc } = require('./join-lib');

const DC_PEER = process.env.DC_PEER || path.join(__dirname, '../../build/bin/dc_peer');

// A page of the test server's origin that answers what `peer` (a dc_peer) offers, the two
// relayed through this process; the page's PeerConnection is window.t.pc.
async function answeringPage(browser, peer) {
  let seen = 0;
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
  await page.exposeFunction('toPeer', (msg) => peer.write(msg + '\n'));
  // One relay at a time, so the page gets the peer's lines in the order they were printed.
  let relaying = false;
  peer.relay = setInterval(async () => {
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
      // Played, so that the media pipeline pulls and decodes what arrives.
      const el = e.track.kind === 'video' ? document.createElement('video') : new Audio();
      el.muted = e.track.kind === 'video';
      el.srcObject = new MediaStream([e.track]);
      el.play().catch(() => {});
      t[e.track.kind] = el;
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
  return page;
}

// The page's inbound-rtp and remote-outbound-rtp of one kind, polled from here
// (waitForFunction does not await an async predicate: lib.js waitForAsync) until `want` holds or
// the deadline passes; the last seen either way.
async function statsUntil(page, kind, want, timeout) {
  const read = () => page.evaluate(async (k) => {
    const out = {};
    (await window.t.pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === k) out.inbound = s;
      if (s.type === 'remote-outbound-rtp' && s.kind === k) out.remote = s;
    });
    return out;
  }, kind);
  const deadline = Date.now() + timeout;
  let last = await read();
  while (!want(last) && Date.now() < deadline) {
    await page.waitForTimeout(250);  // the poll interval
    last = await read();
  }
  return last;
}

// peerkit's own view (dc_peer's get_stats of its local streams) of one kind.
async function peerStats(peer, kind) {
  const mark = peer.mark();
  peer.write(JSON.stringify({ stats: true }) + '\n');
  const line = await peer.waitLine(/"event":"stats"/, { since: mark, timeout: 5000 });
  return JSON.parse(line).streams.find((s) => s.kind === kind);
}

run('native media tracks in Chromium', async () => {
  const browser = await launch();
  const peer = new Proc(DC_PEER, [], 'dc_peer');
  try {
    const page = await answeringPage(browser, peer);
    peer.write(JSON.stringify({ 'offer-media': {} }) + '\n');

    const until = (want, timeout) => statsUntil(page, 'audio', want, timeout);
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
      ours = await peerStats(peer, 'audio');
      if (ours && typeof ours.roundTripTime === 'number') break;
      await page.waitForTimeout(500);  // the next stats poll; Chromium reports on its own clock
    }
    check(ours && typeof ours.roundTripTime === 'number' && ours.roundTripTime >= 0 && ours.roundTripTime < 1 &&
          ours.senderReports >= 2 && ours.remotePacketsLost === 0,
          'peerkit reads Chromium\'s receiver reports: the round trip of its SRs, no loss', ours);
    clearInterval(peer.relay);
    peer.child.stdin.end();
    await peer.stop();
    await page.close();

    await videoWithLoss(browser);
  } finally {
    if (peer.code === undefined) {
      peer.child.stdin.end();
      await peer.stop();
    }
    await browser.close();
  }
}, 150000);

// The size of our video packets on the wire, IP header included (iptables' length): 1 100 bytes
// of payload, a 12-byte RTP header, the mid extension (8), the SRTP tag (10 or 16), UDP and IP.
const VIDEO_IP_LENGTH = '1150:1170';
const dropRule = ['OUTPUT', '-p', 'udp', '-m', 'length', '--length', VIDEO_IP_LENGTH,
  '-m', 'statistic', '--mode', 'random', '--probability', '0.05', '-j', 'DROP'];
const dropped = () => {
  const out = execFileSync('iptables', ['-L', 'OUTPUT', '-v', '-x', '-n']).toString();
  const line = out.split('\n').find((l) => /DROP/.test(l) && /statistic/.test(l));
  return line ? Number(line.trim().split(/\s+/)[0]) : 0;
};

async function videoWithLoss(browser) {
  const peer = new Proc(DC_PEER, [], 'dc_peer');
  execFileSync('iptables', ['-A', ...dropRule]);  // this test's own namespace (run.sh)
  try {
    const page = await answeringPage(browser, peer);
    peer.write(JSON.stringify({ 'offer-media': { video: true } }) + '\n');
    // About 10 s of video at 90 packets a second.
    const got = await statsUntil(page, 'video', (s) => s.inbound && s.inbound.packetsReceived >= 900, 40000);
    const lost = dropped();
    const ours = await peerStats(peer, 'video');
    const inbound = got.inbound || {};
    check(inbound.packetsReceived >= 900, 'Chromium receives peerkit\'s VP8 track', { inbound, ours });
    check(lost >= 10, 'iptables dropped some of its packets (5 %)', lost);
    check(inbound.nackCount > 0 && ours && ours.nackCount > 0,
          'Chromium NACKs the lost packets and peerkit reads its NACKs (RFC 4585 generic NACK)',
          { chromiumNacks: inbound.nackCount, peerkitNacksReceived: ours && ours.nackCount });
    // What is still lost is what NACK could not repair: the retransmission dropped as well
    // (5 % of them), or asked for too late.
    check(ours && ours.retransmitted > 0 && inbound.packetsLost * 3 < lost,
          'peerkit sends them again from its history: most of the loss is repaired',
          { dropped: lost, retransmitted: ours && ours.retransmitted, stillLost: inbound.packetsLost });
    console.log(`  video: ${inbound.packetsReceived} received, ${lost} dropped by iptables, ${inbound.nackCount} NACKs, ` +
                `${ours && ours.retransmitted} sent again, ${inbound.packetsLost} still lost`);
    clearInterval(peer.relay);
    await page.close();
  } finally {
    execFileSync('iptables', ['-D', ...dropRule]);
    peer.child.stdin.end();
    await peer.stop();
  }
}

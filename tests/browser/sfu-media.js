// Chromium publishes to peerkit's SFU and another PeerConnection receives it back through the
// SFU: ICE-lite, DTLS (both roles), SRTP and the router against a real browser. The SFU is
// build/bin/sfu_node (one sfu::Worker on a UDP port in this namespace), driven over stdin.
// Checks: both connections reach "connected", the subscriber decodes video frames and receives
// audio, and the SFU counts what it unprotected and forwarded. Then simulcast: a publisher
// offers rids q/h/f (Chrome sends as many as its resolution allows; the SFU's transport-wide
// CC feedback feeds its estimate), a subscriber climbs to the top layer sent on its own
// estimate, and asking for layer 0 and then the top again changes the decoded width while
// frames keep coming (keyframe-gated switches, rewritten sequence numbers and timestamps, a
// real VP8 decoder).
'use strict';
const { execFileSync } = require('child_process');
const { launch, check, run } = require('./lib');
const { startSfu } = require('./sfu-lib');

const BASE = process.env.PEERKIT_URL || 'http://127.0.0.1:9000';

run('sfu-media', async () => {
  const sfu = startSfu();
  const hello = await sfu.next();
  check(hello.port > 0, 'the SFU worker listens on a UDP port', hello);
  const browser = await launch();
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
  await page.goto(BASE + '/');

  const offer = await page.evaluate(async () => {
    const pc = window.pub = new RTCPeerConnection();
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
    pc.addTransceiver(stream.getAudioTracks()[0], { direction: 'sendonly', streams: [stream] });
    pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly', streams: [stream] });
    await pc.setLocalDescription(await pc.createOffer());
    return pc.localDescription.sdp;
  });
  const answer = await sfu.ask({ op: 'publish', id: 1, sdp: offer });
  check(answer.answer && /a=ice-lite/.test(answer.answer), 'the SFU answers the publisher', answer.error);
  const published = await page.evaluate(async (sdp) => {
    await pub.setRemoteDescription({ type: 'answer', sdp });
    const deadline = Date.now() + 15000;
    while (pub.connectionState !== 'connected' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return pub.connectionState;
  }, answer.answer);
  check(published === 'connected', 'the publisher connects (ICE-lite, DTLS with the SFU as client, SRTP)', published);

  const sub = await sfu.ask({ op: 'subscribe', id: 2, to: 1 });
  check(sub.offer && /a=sendonly/.test(sub.offer), 'the SFU offers the subscriber the published tracks', sub.error);
  const subAnswer = await page.evaluate(async (sdp) => {
    const pc = window.sub = new RTCPeerConnection();
    window.got = [];
    pc.ontrack = (e) => got.push(e.track.kind);
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    return pc.localDescription.sdp;
  }, sub.offer);
  const ok = await sfu.ask({ op: 'answer', id: 2, sdp: subAnswer });
  check(ok.ok === true, 'the SFU takes the subscriber answer', ok.error);
  const received = await page.evaluate(async () => {
    const deadline = Date.now() + 20000;
    let video = {}, audio = {};
    while (Date.now() < deadline) {
      const stats = await sub.getStats();
      stats.forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') video = s;
        if (s.type === 'inbound-rtp' && s.kind === 'audio') audio = s;
      });
      if (sub.connectionState === 'connected' && (video.framesDecoded || 0) >= 10 && (audio.packetsReceived || 0) >= 10) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return { state: sub.connectionState, tracks: got, frames: video.framesDecoded || 0,
             width: video.frameWidth || 0, audio: audio.packetsReceived || 0 };
  });
  console.log(`  subscriber: ${JSON.stringify(received)}`);
  check(received.state === 'connected', 'the subscriber connects (the SFU as DTLS server)', received);
  check(received.frames >= 10 && received.width > 0, 'the subscriber decodes the publisher\'s video through the SFU', received);
  check(received.audio >= 10, 'the subscriber receives the publisher\'s audio through the SFU', received);
  const stats = await sfu.ask({ op: 'stats' });
  console.log(`  sfu: ${JSON.stringify(stats)}`);
  check(stats.srtp_in > 0 && stats.forwarded > 0 && stats.unprotect_failures === 0,
        'the SFU unprotected and forwarded SRTP without failures', stats);
  check(stats.twcc_reports > 0, 'the SFU sends transport-wide CC feedback to the publisher', stats);

  // RTCP reports, as Chromium reads them: the SFU's receiver reports give the publisher a round
  // trip (remote-inbound-rtp, from LSR/DLSR), its sender reports reach the subscriber
  // (remote-outbound-rtp), and the subscriber's reports about them give the SFU its RTT.
  const reports = await page.evaluate(async () => {
    const deadline = Date.now() + 15000;
    let out = {};
    while (Date.now() < deadline) {
      out = { publisherRtt: {}, subscriberSr: {} };
      (await pub.getStats()).forEach((s) => {
        if (s.type === 'remote-inbound-rtp' && s.roundTripTime !== undefined) out.publisherRtt[s.kind] = s.roundTripTime;
      });
      (await sub.getStats()).forEach((s) => {
        if (s.type === 'remote-outbound-rtp') out.subscriberSr[s.kind] = s.reportsSent || 0;
      });
      if (out.publisherRtt.audio !== undefined && out.publisherRtt.video !== undefined && out.subscriberSr.audio > 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    return out;
  });
  console.log(`  reports: ${JSON.stringify(reports)}`);
  check(reports.publisherRtt.audio >= 0 && reports.publisherRtt.video >= 0 && reports.publisherRtt.video < 1,
        'the publisher measures its round trip from the SFU\'s receiver reports (audio and video)', reports);
  check(reports.subscriberSr.audio > 0, 'the subscriber receives the SFU\'s sender reports', reports);
  let rtcpStats = await sfu.ask({ op: 'stats' });
  for (const until = Date.now() + 5000; rtcpStats.rtt_samples === 0 && Date.now() < until;) {
    await new Promise((r) => setTimeout(r, 200));
    rtcpStats = await sfu.ask({ op: 'stats' });
  }
  check(rtcpStats.sender_reports > 0 && rtcpStats.receiver_reports > 0 && rtcpStats.rtt_samples > 0,
        'the SFU measures the subscriber\'s RTT from its reports', rtcpStats);

  // Loss on the way in: 20 % of the large datagrams that reach the SFU's port — video media
  // and Chromium's larger RTX probes; audio, RTCP and padding are small — are dropped (iptables statistic in
  // this namespace; no netem here). The SFU NACKs the publisher, Chromium retransmits on its
  // RTX stream, and the SFU forwards the repaired packets, so the subscriber sees far less
  // than the 20 % of large packets lost.
  const videoCounts = () => page.evaluate(async () => {
    const out = {};
    (await sub.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') { out.received = s.packetsReceived; out.lost = s.packetsLost; }
    });
    (await pub.getStats()).forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video') { out.nacks = s.nackCount; out.resent = s.retransmittedPacketsSent; }
    });
    return out;
  });
  const dropRule = ['OUTPUT', '-p', 'udp', '--dport', String(hello.port), '-m', 'length', '--length', '700:1500',
    '-m', 'statistic', '--mode', 'random', '--probability', '0.2', '-j', 'DROP'];
  let dropped = 0;
  const before = await videoCounts();
  const sfuBefore = await sfu.ask({ op: 'stats' });
  execFileSync('iptables', ['-A', ...dropRule]);
  try {
    for (const until = Date.now() + 30000; Date.now() < until;) {
      if ((await videoCounts()).received - before.received >= 400) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    const counters = execFileSync('iptables', ['-L', 'OUTPUT', '-v', '-n', '-x']).toString();
    dropped = Number((counters.split('\n').find((l) => / DROP /.test(l)) || '').trim().split(/\s+/)[0]) || 0;
    execFileSync('iptables', ['-D', ...dropRule]);
  }
  // Packets still being repaired when the rule went count as lost until their RTX arrives:
  // give them up to 2 s (three tries are at most ~150 ms here).
  let after = await videoCounts();
  for (const until = Date.now() + 2000; after.lost - before.lost > (after.received - before.received) * 0.01 && Date.now() < until;) {
    await new Promise((r) => setTimeout(r, 100));
    after = await videoCounts();
  }
  const sfuAfter = await sfu.ask({ op: 'stats' });
  const loss = { dropped, received: after.received - before.received, lost: after.lost - before.lost,
                 nacksAtPublisher: after.nacks - before.nacks, resent: after.resent - before.resent,
                 sfuNacks: sfuAfter.publisher_nacks - sfuBefore.publisher_nacks, repaired: sfuAfter.repaired - sfuBefore.repaired };
  console.log(`  20 % of large datagrams to the SFU dropped: ${JSON.stringify(loss)}`);
  check(loss.received >= 400 && loss.dropped >= 10 && loss.sfuNacks > 0 && loss.nacksAtPublisher > 0 && loss.resent > 0 && loss.repaired > 0,
        'publisher leg: the SFU NACKs lost packets, Chromium retransmits them, the SFU forwards the repairs', loss);
  check(loss.lost <= loss.received * 0.01, 'publisher leg: the subscriber loses under 1 % of the video (a fifth of the large packets dropped on the way in)', loss);

  // Simulcast: publisher 3 with q/h/f, subscriber 4.
  const page3 = await browser.newPage();  // its own camera at 1280×720
  await page3.goto(BASE + '/');
  const offer3 = await page3.evaluate(async () => {
    const pc = window.pub3 = new RTCPeerConnection();
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 } });
    pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly', streams: [stream],
      sendEncodings: [{ rid: 'q', scaleResolutionDownBy: 4 }, { rid: 'h', scaleResolutionDownBy: 2 }, { rid: 'f' }] });
    await pc.setLocalDescription(await pc.createOffer());
    window.captured = stream.getVideoTracks()[0].getSettings().width;
    return pc.localDescription.sdp;
  });
  const captured = await page3.evaluate(() => captured);
  const answer3 = await sfu.ask({ op: 'publish', id: 3, sdp: offer3 });
  check(answer3.answer && /a=simulcast:recv q;h;f/.test(answer3.answer), 'simulcast: the SFU receives q;h;f', answer3.error);
  await page3.evaluate((sdp) => pub3.setRemoteDescription({ type: 'answer', sdp }), answer3.answer);
  const sub4 = await sfu.ask({ op: 'subscribe', id: 4, to: 3 });
  const answer4 = await page.evaluate(async (sdp) => {
    const pc = window.sub4 = new RTCPeerConnection();
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    return pc.localDescription.sdp;
  }, sub4.offer);
  check((await sfu.ask({ op: 'answer', id: 4, sdp: answer4 })).ok === true, 'simulcast: the subscriber joins');
  const widthOf = (want, timeoutMs) => page.evaluate(async ({ want, timeoutMs }) => {
    const deadline = Date.now() + timeoutMs;
    let v = {};
    while (Date.now() < deadline) {
      (await sub4.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') v = s; });
      if (v.frameWidth === want) {
        const before = v.framesDecoded;
        await new Promise((r) => setTimeout(r, 500));
        (await sub4.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') v = s; });
        return { width: v.frameWidth, frames: v.framesDecoded, since: v.framesDecoded - before };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return { width: v.frameWidth || 0, frames: v.framesDecoded || 0, since: 0 };
  }, { want, timeoutMs });
  // What the publisher actually sends: Chrome caps the layer count by resolution (two layers
  // at 640×360), so the top layer is the widest rid with bytes on the wire.
  const sent = await page3.evaluate(async () => {
    const deadline = Date.now() + 15000;
    let widths = {};
    while (Date.now() < deadline) {
      widths = {};
      (await pub3.getStats()).forEach((s) => {
        if (s.type === 'outbound-rtp' && s.bytesSent > 0 && s.frameWidth) widths[s.rid] = s.frameWidth;
      });
      if (widths.q && widths.h) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    return widths;
  });
  const layers = ['q', 'h', 'f'].filter((r) => sent[r]).map((r) => sent[r]);
  console.log(`  simulcast: captured ${captured} wide, layers sent ${JSON.stringify(sent)}`);
  check(layers.length >= 2, 'simulcast: the publisher sends at least two layers (the SFU feeds its estimate back)', sent);
  const topWidth = layers[layers.length - 1];
  const top = await widthOf(topWidth, 25000);
  console.log(`  simulcast top: ${JSON.stringify(top)}; estimates ${JSON.stringify((await sfu.ask({ op: 'stats' })).estimates)}`);
  check(top.width === topWidth && top.since > 0, `simulcast: the subscriber climbs to the top layer sent (${topWidth} wide) on its own estimate`, top);
  await sfu.ask({ op: 'layer', id: 4, track: 0, layer: 0 });
  const low = await widthOf(layers[0], 10000);
  check(low.width === layers[0] && low.since > 0, `simulcast: asked for layer 0, it decodes ${layers[0]} wide, frames still coming`, low);
  await sfu.ask({ op: 'layer', id: 4, track: 0, layer: 2 });
  const back = await widthOf(topWidth, 15000);
  check(back.width === topWidth && back.since > 0, `simulcast: asked for the top again, it decodes ${topWidth} wide`, back);
  const stats2 = await sfu.ask({ op: 'stats' });
  console.log(`  sfu: ${JSON.stringify(stats2)}`);
  check(stats2.unprotect_failures === 0, 'simulcast: no SRTP failures', stats2);
  await browser.close();
  sfu.child.stdin.end();
  await new Promise((r) => sfu.child.on('exit', r));
});

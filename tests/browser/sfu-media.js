// Chromium publishes to peerkit's SFU and another PeerConnection receives it back through the
// SFU: ICE-lite, DTLS (both roles), SRTP and the router against a real browser. The SFU is
// build/bin/sfu_node (one sfu::Worker on a UDP port in this namespace), driven over stdin.
// Checks: both connections reach "connected", the subscriber decodes video frames and receives
// audio, and the SFU counts what it unprotected and forwarded.
'use strict';
const path = require('path');
const readline = require('readline');
const { spawn } = require('child_process');
const { launch, check, run } = require('./lib');

const BASE = process.env.PEERKIT_URL || 'http://127.0.0.1:9000';
const SFU_NODE = process.env.SFU_NODE || path.join(__dirname, '../../build/bin/sfu_node');

function startSfu() {
  const child = spawn(SFU_NODE, ['127.0.0.1:0'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (l) => { const w = waiting.shift(); if (w) w(JSON.parse(l)); });
  const next = () => new Promise((resolve) => waiting.push(resolve));
  const ask = (request) => { const reply = next(); child.stdin.write(JSON.stringify(request) + '\n'); return reply; };
  return { child, next, ask };
}

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
  await browser.close();
  sfu.child.stdin.end();
  await new Promise((r) => sfu.child.on('exit', r));
});

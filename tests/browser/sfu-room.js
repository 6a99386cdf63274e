// A 6-person room through peerkit's SFU (build/bin/sfu_node, one worker): six Chromium pages
// each publish camera + microphone once and receive the other five through the SFU, so no page
// has a connection to another page. Checks every page decodes five remote videos and receives
// five remote audio streams. The rooms protocol and the web app are not involved yet: this is
// the SFU's transport and forwarding at room size.
'use strict';
const { launch, check, run } = require('./lib');
const { startSfu } = require('./sfu-lib');

const BASE = process.env.PEERKIT_URL || 'http://127.0.0.1:9000';
const PEOPLE = 6;

run('sfu-room', async () => {
  const sfu = startSfu();
  check((await sfu.next()).port > 0, 'the SFU worker listens');
  const browser = await launch();
  const pages = [];
  for (let i = 1; i <= PEOPLE; i++) {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.log(`[${i}] page error: ${e.message}`));
    await page.goto(BASE + '/');
    const offer = await page.evaluate(async () => {
      const pc = window.pub = new RTCPeerConnection();
      const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 180, frameRate: 15 } });
      for (const t of s.getTracks()) pc.addTransceiver(t, { direction: 'sendonly', streams: [s] });
      await pc.setLocalDescription(await pc.createOffer());
      return pc.localDescription.sdp;
    });
    const a = await sfu.ask({ op: 'publish', id: i, sdp: offer });
    if (!a.answer) throw new Error(`publish ${i}: ${a.error}`);
    await page.evaluate((sdp) => pub.setRemoteDescription({ type: 'answer', sdp }), a.answer);
    pages.push(page);
  }
  for (let i = 1; i <= PEOPLE; i++) {
    const others = [...Array(PEOPLE).keys()].map((k) => k + 1).filter((k) => k !== i);
    const o = await sfu.ask({ op: 'subscribe', id: 100 + i, to: others });
    if (!o.offer) throw new Error(`subscribe ${i}: ${o.error}`);
    const answer = await pages[i - 1].evaluate(async (sdp) => {
      const pc = window.sub = new RTCPeerConnection();
      await pc.setRemoteDescription({ type: 'offer', sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      return pc.localDescription.sdp;
    }, o.offer);
    const ok = await sfu.ask({ op: 'answer', id: 100 + i, sdp: answer });
    if (!ok.ok) throw new Error(`answer ${i}: ${ok.error}`);
  }
  const results = await Promise.all(pages.map((page) => page.evaluate(async (n) => {
    const deadline = Date.now() + 60000;
    let video = [], audio = [];
    while (Date.now() < deadline) {
      video = []; audio = [];
      (await sub.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video' && (s.framesDecoded || 0) >= 5) video.push(s.framesDecoded);
        if (s.type === 'inbound-rtp' && s.kind === 'audio' && (s.packetsReceived || 0) >= 5) audio.push(s.packetsReceived);
      });
      if (video.length >= n && audio.length >= n) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const pcs = [pub.connectionState, sub.connectionState];
    const stuck = [];
    if (video.length < n)
      (await sub.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video' && (s.framesDecoded || 0) < 5)
          stuck.push({ mid: s.mid, packets: s.packetsReceived, lost: s.packetsLost, frames: s.framesReceived,
                       decoded: s.framesDecoded, keyframes: s.keyFramesDecoded, pli: s.pliCount, nack: s.nackCount,
                       ssrc: s.ssrc });
      });
    const out = {};
    (await pub.getStats()).forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video')
        Object.assign(out, { sent: s.packetsSent, frames: s.framesEncoded, q: s.qualityLimitationReason, target: s.targetBitrate, active: s.active });
      if (s.type === 'candidate-pair' && s.nominated) out.bwe = s.availableOutgoingBitrate;
    });
    return { video: video.length, audio: audio.length, pcs, stuck, out };
  }, PEOPLE - 1)));
  results.forEach((r, k) => {
    check(r.video === PEOPLE - 1 && r.audio === PEOPLE - 1,
          `page ${k + 1} decodes ${PEOPLE - 1} remote videos and receives ${PEOPLE - 1} audio streams through the SFU`, r);
  });
  const stats = await sfu.ask({ op: 'stats' });
  console.log(`  sfu: ${JSON.stringify({ ...stats, estimates: undefined })}`);
  check(stats.unprotect_failures === 0 && stats.forwarded > 0, 'the SFU forwarded without SRTP failures', stats);
  await browser.close();
  sfu.child.stdin.end();
  await new Promise((r) => sfu.child.on('exit', r));
}, 240000);

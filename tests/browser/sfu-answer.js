// Chromium takes peerkit's SFU answer (sdp::build_sfu_answer via build/bin/sfu_answer): a
// publisher's offer with and without simulcast rids q/h/f, then the renegotiation after its video
// transceiver is stopped (a disabled section). Checks setRemoteDescription succeeds, the three
// encodings survive, and VP8 + rtx and Opus are what the senders may use. Then the other leg:
// Chromium takes the SFU's offer to a subscriber (sdp::build_sfu_offer, `sfu_answer subscribe`)
// and answers it; both tracks arrive in one MediaStream named by the offer's msid.
'use strict';
const path = require('path');
const { execFileSync } = require('child_process');
const { launch, check, run } = require('./lib');

const BASE = process.env.PEERKIT_URL || 'http://127.0.0.1:9000';
const SFU_ANSWER = process.env.SFU_ANSWER || path.join(__dirname, '../../build/bin/sfu_answer');

function answerFor(offer) {
  return execFileSync(SFU_ANSWER, { input: offer }).toString();
}
function subscribeOffer() {
  return execFileSync(SFU_ANSWER, ['subscribe']).toString();
}

run('sfu-answer', async () => {
  const browser = await launch();
  for (const simulcast of [true, false]) {
    const page = await browser.newPage();
    await page.goto(BASE + '/');  // a secure context for getUserMedia
    const offer = await page.evaluate(async (simulcast) => {
      const pc = window.pc = new RTCPeerConnection();
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 1280, height: 720 } });
      const direction = simulcast ? 'sendonly' : 'sendrecv';
      window.at = pc.addTransceiver(stream.getAudioTracks()[0], { direction, streams: [stream] });
      const init = { direction, streams: [stream] };
      if (simulcast) init.sendEncodings = [{ rid: 'q', scaleResolutionDownBy: 4 }, { rid: 'h', scaleResolutionDownBy: 2 }, { rid: 'f' }];
      window.vt = pc.addTransceiver(stream.getVideoTracks()[0], init);
      pc.createDataChannel('chat');
      const o = await pc.createOffer();
      await pc.setLocalDescription(o);
      return o.sdp;
    }, simulcast);
    const apply = (sdp) => page.evaluate(async (sdp) => {
      try {
        await pc.setRemoteDescription({ type: 'answer', sdp });
        const v = vt.sender.getParameters(), a = at.sender.getParameters();
        return { ok: true, state: pc.signalingState, rids: v.encodings.map((e) => e.rid || ''),
                 video: v.codecs.map((c) => c.mimeType), audio: a.codecs.map((c) => c.mimeType) };
      } catch (e) { return { ok: false, error: String(e) }; }
    }, sdp);
    const tag = simulcast ? 'simulcast' : 'single';
    const answer = answerFor(offer);
    const r = await apply(answer);
    check(r.ok && r.state === 'stable', `${tag}: Chromium accepts the SFU answer`, r);
    check(JSON.stringify(r.video) === JSON.stringify(['video/VP8', 'video/rtx']), `${tag}: video is VP8 + rtx`, r.video);
    check(JSON.stringify(r.audio) === JSON.stringify(['audio/opus']), `${tag}: audio is Opus`, r.audio);
    if (simulcast) {
      check(/a=simulcast:recv q;h;f/.test(answer), 'simulcast: the answer receives q;h;f', answer.match(/a=simulcast.*/g));
      check(JSON.stringify(r.rids) === JSON.stringify(['q', 'h', 'f']), 'simulcast: three encodings kept', r.rids);
    }
    // Stop the video transceiver and renegotiate: its section is disabled (port 0).
    const offer2 = await page.evaluate(async () => {
      vt.stop();
      const o = await pc.createOffer();
      await pc.setLocalDescription(o);
      return o.sdp;
    });
    check(/m=video 0 /.test(offer2), `${tag}: the renegotiation disables the video section`);
    const answer2 = answerFor(offer2);
    check(/m=video 0 /.test(answer2) && !/a=rid:/.test(answer2), `${tag}: answered disabled, without rids`);
    const r2 = await page.evaluate(async (sdp) => {
      try { await pc.setRemoteDescription({ type: 'answer', sdp }); return { ok: true, state: pc.signalingState }; }
      catch (e) { return { ok: false, error: String(e) }; }
    }, answer2);
    check(r2.ok && r2.state === 'stable', `${tag}: Chromium accepts the answer to the disabled section`, r2);
    await page.close();
  }
  {
    const page = await browser.newPage();
    await page.goto(BASE + '/');
    const offer = subscribeOffer();
    check(/a=ice-lite/.test(offer) && /a=sendonly/.test(offer), 'subscribe: the SFU offer is ice-lite and sendonly');
    const r = await page.evaluate(async (sdp) => {
      try {
        const pc = window.sub = new RTCPeerConnection();
        const tracks = [];
        pc.ontrack = (e) => tracks.push({ kind: e.track.kind, streams: e.streams.map((s) => s.id) });
        await pc.setRemoteDescription({ type: 'offer', sdp });
        const answer = await pc.createAnswer();
        await pc.setLocalDescription(answer);
        const video = pc.getTransceivers().find((t) => t.receiver.track.kind === 'video');
        return { ok: true, state: pc.signalingState, tracks, answer: answer.sdp,
                 directions: pc.getTransceivers().map((t) => t.currentDirection) };
      } catch (e) { return { ok: false, error: String(e) }; }
    }, offer);
    check(r.ok && r.state === 'stable', 'subscribe: Chromium accepts the SFU offer and answers it', r.error || r.state);
    check(r.ok && JSON.stringify(r.directions) === JSON.stringify(['recvonly', 'recvonly']),
          'subscribe: both transceivers receive only', r.directions);
    check(r.ok && r.tracks.length === 2 && r.tracks.every((t) => t.streams.length === 1 && t.streams[0] === 'bea-stream'),
          'subscribe: audio and video arrive in the msid stream "bea-stream"', r.tracks);
    check(r.ok && /a=setup:active/.test(r.answer), 'subscribe: the browser answers a=setup:active (the SFU is the DTLS server)',
          r.ok && r.answer.match(/a=setup:.*/g));
    await page.close();
  }
  await browser.close();
});

// The peerkit web app: a lobby, then a room with a video call, chat, file transfer and a live
// view of the connection (signaling log, candidates, selected pair, RTT, bitrate). Small rooms
// are a mesh (one PeerConnection per pair); the server moves a room to its SFU when it grows
// past the threshold (or when the link says mode=sfu), and the app follows (web/sfu.js).
// window.peerkitApp exposes the same state to the browser tests.
import { RoomsClient } from './signaling.js';
import { PeerLink } from './peer.js';
import { SfuSession } from './sfu.js';
import { sendFile, canHashFiles, MAX_RECEIVE_BYTES } from './files.js';

const $ = (id) => document.getElementById(id);
const MAX_PARTICIPANTS = 6;

const app = {
  rooms: null, links: new Map(), localStream: null, room: '', name: '', relayOnly: false,
  chat: [], files: [], state: 'lobby', mediaError: null, fileSeq: 0, formerIds: new Set(),
  fileTransfer: canHashFiles() ? 'on' : 'insecure',
  mode: 'mesh', requestedMode: '', members: new Map(), sfu: null, sfuTiles: new Map(),
  screenTrack: null, screens: new Map(),
};
window.peerkitApp = app;

// Files are hashed (SHA-256) on both ends, and crypto.subtle exists only on secure pages.
if (app.fileTransfer === 'insecure') {
  $('file-input').disabled = true;
  $('files-insecure').hidden = false;
}

// ---- lobby ----------------------------------------------------------------------------------
const params = new URLSearchParams(location.search);
$('name').value = params.get('name') || localStorage.getItem('peerkit.name') || '';
$('room').value = params.get('room') || '';
$('relay').checked = params.get('relay') === '1';
$('nomedia').checked = params.get('media') === '0';
// mode=sfu or mode=mesh in a room link forces the room's mode (when it is the first to join).
app.requestedMode = ['sfu', 'mesh'].includes(params.get('mode')) ? params.get('mode') : '';
$('join-form').addEventListener('submit', (e) => {
  e.preventDefault();
  enterRoom($('room').value.trim(), $('name').value.trim(), $('relay').checked, !$('nomedia').checked);
});
if (params.get('room') && params.get('name')) {
  enterRoom(params.get('room'), params.get('name'), params.get('relay') === '1', params.get('media') !== '0');
}

function banner(text, kind = 'warn') {
  const b = $('banner');
  b.hidden = !text;
  b.textContent = text || '';
  b.className = 'banner' + (kind === 'error' ? ' error' : '');
}
function status(text) { $('status').textContent = text; }
// Media problems stay visible until the page is left; signaling problems come and go.
function mediaBanner(text) { app.mediaBanner = text; banner(text); }

// ---- media ----------------------------------------------------------------------------------
async function openMedia(wanted) {
  if (!wanted) return null;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    app.mediaError = 'insecure';
    mediaBanner(app.fileTransfer === 'on'
      ? 'Camera and microphone need a secure page (https:// or localhost). You can still chat, send files and watch others.'
      : 'Camera, microphone and file transfer need a secure page (https:// or localhost). You can still chat and watch others.');
    return null;
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true });
  } catch (err) {
    if (err.name === 'NotAllowedError' || err.name === 'SecurityError') {
      app.mediaError = 'denied';
      mediaBanner('Camera and microphone access was denied. Others will not see or hear you; you can still see them, chat and send files. Allow access in the address bar and rejoin to change this.');
      return null;
    }
    if (err.name === 'NotFoundError' || err.name === 'OverconstrainedError' || err.name === 'NotReadableError') {
      try {
        const audio = await navigator.mediaDevices.getUserMedia({ audio: true });
        app.mediaError = 'no-camera';
        mediaBanner('No camera found (or it is busy): joining with microphone only.');
        return audio;
      } catch {
        app.mediaError = 'no-devices';
        mediaBanner('No camera or microphone found: joining to watch, chat and send files.');
        return null;
      }
    }
    app.mediaError = err.name;
    mediaBanner(`Could not open camera or microphone (${err.name}).`);
    return null;
  }
}

// ---- room -----------------------------------------------------------------------------------
async function enterRoom(room, name, relayOnly, wantMedia) {
  if (!room || !name) return;
  Object.assign(app, { room, name, relayOnly, state: 'joining' });
  localStorage.setItem('peerkit.name', name);
  const url = new URL(location.href);
  url.search = new URLSearchParams({ room, ...(relayOnly ? { relay: '1' } : {}),
    ...(app.requestedMode ? { mode: app.requestedMode } : {}) }).toString();
  history.replaceState(null, '', url);
  $('lobby').hidden = true;
  $('room-view').hidden = false;
  $('room-title').textContent = `Room: ${room}`;
  $('share').hidden = false;
  $('self-name').textContent = name;
  $('relay-live').checked = relayOnly;
  app.localStream = await openMedia(wantMedia);
  if (app.localStream) $('self-video').srcObject = app.localStream;
  $('self-state').textContent = app.localStream && app.localStream.getVideoTracks().length ? '' : 'no camera';
  $('mute').disabled = !app.localStream || !app.localStream.getAudioTracks().length;
  $('camera').disabled = !app.localStream || !app.localStream.getVideoTracks().length;
  $('screen').disabled = !navigator.mediaDevices || !navigator.mediaDevices.getDisplayMedia;
  await listDevices();
  connectSignaling();
}

function connectSignaling() {
  const rooms = new RoomsClient();
  app.rooms = rooms;
  rooms.addEventListener('state', ({ detail }) => {
    if (detail.state === 'open') { status('connected to server'); banner(app.mediaBanner || ''); }
    if (detail.state === 'connecting') status('connecting…');
    if (detail.state === 'retrying') {
      status('offline');
      if (app.state === 'in-room') app.state = 'reconnecting';
      banner(`Signaling server unreachable — retrying in ${Math.round(detail.delay / 1000)} s. Calls reconnect once it is back.`, 'error');
      // Our member id dies with the socket and the others drop their links to it, so the calls
      // are rebuilt from scratch after the rejoin.
      for (const link of app.links.values()) removeLink(link.id, null);
      leaveSfu();
    }
  });
  rooms.addEventListener('welcome', () => rooms.join(app.room, app.name, app.requestedMode));
  rooms.addEventListener('joined', ({ detail }) => {
    app.state = 'in-room';
    // After a reconnect (e.g. to another cluster node after ours died) the room can still list
    // our previous member id until the server announces it left: never call our own ghost.
    if (app.selfId && app.selfId !== detail.self.id) app.formerIds.add(app.selfId);
    app.selfId = detail.self.id;
    const members = detail.members.filter((m) => !app.formerIds.has(m.id));
    app.members = new Map(members.map((m) => [m.id, m.name]));
    status(`in room · ${members.length + 1} here`);
    if (detail.mode === 'sfu') { enterSfu(); return; }
    app.mode = 'mesh';
    for (const m of members.slice(0, MAX_PARTICIPANTS - 1)) addLink(m.id, m.name, true);
    if (members.length >= MAX_PARTICIPANTS) system(`This room has more than ${MAX_PARTICIPANTS} people; video connects to the first ${MAX_PARTICIPANTS - 1}.`);
  });
  rooms.addEventListener('room-mode', ({ detail }) => {
    if (detail.mode !== 'sfu' || app.mode === 'sfu') return;
    system('The room grew: calls now go through the server (SFU).');
    for (const id of [...app.links.keys()]) removeLink(id, 'sfu');
    for (const id of [...app.screens.keys()]) removeScreen(id);  // the SFU brings them anew
    enterSfu();
  });
  rooms.addEventListener('member-joined', ({ detail }) => {
    system(`${detail.member.name} joined`);
    app.members.set(detail.member.id, detail.member.name);
    if (app.screenTrack) app.rooms.signal(detail.member.id, { screen: true });
    if (app.mode === 'sfu') sfuTile(detail.member.id);
    else if (app.links.size < MAX_PARTICIPANTS - 1) addLink(detail.member.id, detail.member.name, false);
    status(`in room · ${app.members.size + 1} here`);
  });
  rooms.addEventListener('member-left', ({ detail }) => {
    const name = app.members.get(detail.id);
    if (name) system(`${name} ${detail.reason === 'left' ? 'left' : 'disconnected'}`);
    app.members.delete(detail.id);
    removeLink(detail.id, detail.reason);
    removeSfuTile(detail.id);
    removeScreen(detail.id);
    status(`in room · ${app.members.size + 1} here`);
  });
  for (const type of ['sfu-publish-answer', 'sfu-subscribe-offer', 'sfu-subscribe-close', 'sfu-stats']) {
    rooms.addEventListener(type, ({ detail }) => { if (app.sfu) app.sfu.onMessage(detail); });
  }
  rooms.addEventListener('signal', ({ detail }) => {
    // In an SFU room, chat goes member to member through the rooms protocol itself.
    if (detail.data && typeof detail.data.chat === 'string') {
      chatLine(app.members.get(detail.from) || '…', detail.data.chat.slice(0, 2000));
      return;
    }
    // Whether a member shares its screen, in mesh and SFU rooms alike.
    if (detail.data && typeof detail.data.screen === 'boolean') {
      screenTile(detail.from).on = detail.data.screen;
      updateScreen(detail.from);
      return;
    }
    if (app.mode === 'sfu') return;  // a mesh signal still in flight when the room switched
    let link = app.links.get(detail.from);
    if (!link) link = addLink(detail.from, '…', false);
    link.onSignal(detail.data);
  });
  rooms.addEventListener('error', ({ detail }) => {
    if (detail.code === 'room-full') {
      app.state = 'room-full';
      banner(`Room "${app.room}" is full. Pick another room name.`, 'error');
      rooms.close();
    } else {
      system(`server: ${detail.message}`);
    }
  });
  rooms.connect();
}

function makeTile(id, name) {
  const tile = document.createElement('figure');
  tile.className = 'tile';
  tile.dataset.member = id;
  tile.innerHTML = '<video autoplay playsinline></video><figcaption></figcaption><div class="tile-state">connecting…</div><div class="tile-quality"></div>';
  tile.querySelector('figcaption').textContent = name;
  $('videos').append(tile);
  return tile;
}

// ---- who speaks, and weak connections -------------------------------------------------------
// Audio levels come from each receiver's synchronization sources (the RFC 6464 level in every
// audio packet, forwarded as is by the SFU), so neither mode decodes anything to know them.
const SPEAKING_LEVEL = 0.02;  // of 1.0, about -34 dBov
const speech = new Map();     // member id → {last: time it last spoke, energy: smoothed level}
function audioReceiver(id) {
  if (app.mode === 'sfu') {
    const t = app.sfuTiles.get(id);
    const pc = app.sfu && app.sfu.subscriber;
    if (!t || !pc) return null;
    const ids = new Set(t.stream.getAudioTracks().map((x) => x.id));
    return pc.getReceivers().find((r) => r.track && ids.has(r.track.id)) || null;
  }
  const link = app.links.get(id);
  return link ? link.pc.getReceivers().find((r) => r.track && r.track.kind === 'audio') || null : null;
}
// A source's level is that of its latest packet only (one per 20 ms), and short sounds (a word's
// onset, the fake microphone's 20 ms beep twice a second) fall between 100 ms looks — always the
// same ones when the two periods lock. So the levels are sampled once per audio packet and the
// loudest of each 100 ms kept for the indicators.
const peaks = new Map();  // member id → loudest level heard since the last indicator update
setInterval(() => {
  const now = performance.timeOrigin + performance.now();
  for (const id of app.members.keys()) {
    const r = audioReceiver(id);
    const sources = r && r.getSynchronizationSources ? r.getSynchronizationSources() : [];
    // Synchronization-source timestamps are on the epoch timeline (performance.timeOrigin).
    const level = sources.length && now - sources[0].timestamp < 500 ? sources[0].audioLevel || 0 : 0;
    peaks.set(id, Math.max(peaks.get(id) || 0, level));
  }
}, 20);
setInterval(() => {
  const now = performance.timeOrigin + performance.now();
  let loudest = null;
  for (const id of app.members.keys()) {
    const level = peaks.get(id) || 0;
    peaks.delete(id);
    const s = speech.get(id) || { last: 0, energy: 0 };
    s.energy = s.energy * 0.9 + level * 0.1;
    if (level > SPEAKING_LEVEL) s.last = now;
    speech.set(id, s);
    if (!loudest || s.energy > speech.get(loudest).energy) loudest = id;
    const tile = tileOf(id);
    if (tile) tile.classList.toggle('speaking', now - s.last < 600);
  }
  for (const id of speech.keys()) if (!app.members.has(id)) speech.delete(id);
  for (const id of peaks.keys()) if (!app.members.has(id)) peaks.delete(id);
  const dominant = loudest && speech.get(loudest).energy > SPEAKING_LEVEL / 4 ? loudest : app.dominant;
  const moved = dominant !== app.dominant;
  app.dominant = dominant;
  for (const id of app.members.keys()) {
    const tile = tileOf(id);
    if (tile) tile.classList.toggle('dominant', id === dominant);
  }
  // In the speaker view the dominant tile is the large one: its layer follows it at once.
  if (moved && $('videos').classList.contains('speaker-view')) updateSfuConstraints();
}, 100);
function tileOf(id) {
  const link = app.links.get(id);
  if (link) return link.tile;
  const t = app.sfuTiles.get(id);
  return t ? t.tile : null;
}
// A weak connection, per tile: in a mesh, that link's loss or round trip; in an SFU room, the
// server's estimate and loss toward us, and whether it had to send the member's lowest layer.
function updateQuality() {
  for (const link of app.links.values()) {
    const s = link.lastStats;
    const rtt = s && s.selectedPair ? s.selectedPair.rttMs : null;
    const poor = link.state === 'disconnected' || (rtt !== null && rtt > 400) || (s && s.lossPercent > 5);
    link.tile.querySelector('.tile-quality').textContent = poor ? 'poor connection' : '';
  }
  const s = app.sfu && app.sfu.lastStats;
  if (!s) return;
  const weak = (s.loss || 0) > 0.05 || (typeof s.rtt === 'number' && s.rtt > 0.4) ||
    (s.estimate !== null && s.estimate !== undefined && s.estimate < 250000);
  for (const [id, t] of app.sfuTiles) {
    const sub = (s.subscriptions || []).find((x) => x.source === id && x.kind === 'video');
    const low = weak && sub && sub.layer === 0;
    t.tile.querySelector('.tile-quality').textContent = low ? 'poor connection' : '';
  }
}
$('view').addEventListener('click', (e) => {
  const on = e.target.getAttribute('aria-pressed') !== 'true';
  e.target.setAttribute('aria-pressed', String(on));
  $('videos').classList.toggle('speaker-view', on);
  updateSfuConstraints();
});

// In an SFU room, ask for no more of each member's camera than its tile shows (sfu-constraints,
// docs/protocol-rooms.md): its height in device pixels, rounded up to a common video height so
// that a tile a little taller than a layer still gets the one above it. Sent when it changes.
const STANDARD_HEIGHTS = [90, 180, 360, 720, 1080, 2160];
let sentConstraints = '';
function updateSfuConstraints() {
  if (!app.sfu) return;
  const sources = {};
  for (const [id, t] of app.sfuTiles) {
    const video = t.tile.querySelector('video');
    // object-fit: cover scales the picture to fill the tile, so a tile wider than the picture's
    // aspect shows it taller than the tile: ask for the height it is drawn at.
    const aspect = video && video.videoWidth && video.videoHeight ? video.videoWidth / video.videoHeight : 0;
    const drawn = video ? Math.max(video.clientHeight, aspect ? video.clientWidth / aspect : 0) : 0;
    const px = drawn * (window.devicePixelRatio || 1);
    if (px <= 0) continue;  // not laid out yet: no constraint rather than the smallest layer
    sources[id] = STANDARD_HEIGHTS.find((h) => h >= px) || STANDARD_HEIGHTS[STANDARD_HEIGHTS.length - 1];
  }
  const text = JSON.stringify(sources);
  if (text === sentConstraints) return;
  sentConstraints = text;
  app.sfuConstraints = sources;  // for the details panel and tests
  app.sfu.constrain(null, sources);
}
window.addEventListener('resize', () => updateSfuConstraints());

// ---- SFU rooms (web/sfu.js) -----------------------------------------------------------------
function enterSfu() {
  app.mode = 'sfu';
  sentConstraints = '';  // a new session has none yet
  const sfu = new SfuSession({ rooms: app.rooms, localStream: app.localStream });
  app.sfu = sfu;
  for (const id of app.members.keys()) sfuTile(id);
  sfu.addEventListener('track', ({ detail }) => {
    const t = sfuTile(detail.member);
    if (!t) return;
    t.stream.addTrack(detail.track);
    detail.track.addEventListener('ended', () => t.stream.removeTrack(detail.track));
    t.tile.querySelector('video').srcObject = t.stream;
    t.tile.querySelector('.tile-state').textContent = '';
  });
  sfu.addEventListener('closed', () => {
    for (const t of app.sfuTiles.values()) {
      for (const track of t.stream.getTracks()) t.stream.removeTrack(track);
    }
  });
  sfu.addEventListener('screen', ({ detail }) => attachScreen(detail.member, detail.track));
  sfu.addEventListener('log', () => scheduleDetails());
  sfu.screenTrack = app.screenTrack;
  sfu.start().catch((e) => system(`could not publish to the SFU: ${e.message}`));
}
function sfuTile(id) {
  if (!app.members.has(id)) return null;
  let t = app.sfuTiles.get(id);
  if (!t) {
    t = { tile: makeTile(id, app.members.get(id)), stream: new MediaStream() };
    t.tile.querySelector('.tile-state').textContent = 'waiting for video…';
    app.sfuTiles.set(id, t);
  }
  return t;
}
function removeSfuTile(id) {
  const t = app.sfuTiles.get(id);
  if (!t) return;
  t.tile.remove();
  app.sfuTiles.delete(id);
}
function leaveSfu() {
  if (app.sfu) app.sfu.close();
  app.sfu = null;
  for (const id of [...app.sfuTiles.keys()]) removeSfuTile(id);
  for (const id of [...app.screens.keys()]) removeScreen(id);
  app.mode = 'mesh';
}

function addLink(id, name, initiator) {
  const link = new PeerLink({ id, name, initiator, rooms: app.rooms, iceServers: app.rooms.iceServers,
    relayOnly: app.relayOnly, localStream: app.localStream, screenTrack: app.screenTrack });
  app.links.set(id, link);
  const tile = makeTile(id, name);
  tile.querySelector('video').srcObject = link.remoteStream;
  link.tile = tile;
  link.addEventListener('track', () => { tile.querySelector('video').srcObject = link.remoteStream; });
  link.addEventListener('state', () => {
    const s = link.state;
    tile.classList.toggle('failed', s === 'failed');
    tile.querySelector('.tile-state').textContent =
      s === 'connected' ? (link.remoteStream.getVideoTracks().length ? '' : 'no video')
        : s === 'failed' ? (app.relayOnly ? 'connection failed: TURN relay unreachable' : 'connection failed (ICE): no path between you two')
          : s === 'disconnected' ? 'reconnecting…' : s === 'closed' ? 'left' : 'connecting…';
  });
  link.addEventListener('screen', ({ detail }) => attachScreen(id, detail.track));
  link.addEventListener('chat', ({ detail }) => chatLine(detail.from, detail.text));
  link.addEventListener('file-start', ({ detail }) => fileEntry(detail.id + '@' + id, `from ${detail.from}: ${detail.name}`, detail.size));
  link.addEventListener('file-progress', ({ detail }) => fileProgress(detail.id + '@' + id, detail.received));
  link.addEventListener('file-done', ({ detail }) => fileDone(detail.id + '@' + id, detail));
  link.addEventListener('file-refused', ({ detail }) =>
    system(detail.reason === 'insecure'
      ? `${detail.from} offered ${detail.name}; this page cannot receive files (it is not a secure page: use https:// or localhost).`
      : `${detail.from} offered ${detail.name} (${formatBytes(detail.size)}); files over 512 MiB are refused.`));
  link.addEventListener('log', () => scheduleDetails());
  return link;
}

function removeLink(id, reason) {
  const link = app.links.get(id);
  if (!link) return;
  link.close();
  link.tile.remove();
  app.links.delete(id);
}

// ---- controls -------------------------------------------------------------------------------
$('mute').addEventListener('click', (e) => {
  const tracks = app.localStream ? app.localStream.getAudioTracks() : [];
  const muted = e.target.getAttribute('aria-pressed') !== 'true';
  tracks.forEach((t) => { t.enabled = !muted; });
  e.target.setAttribute('aria-pressed', String(muted));
  e.target.textContent = muted ? 'Unmute' : 'Mute';
});
$('camera').addEventListener('click', (e) => {
  const tracks = app.localStream ? app.localStream.getVideoTracks() : [];
  const off = e.target.getAttribute('aria-pressed') !== 'true';
  tracks.forEach((t) => { t.enabled = !off; });
  e.target.setAttribute('aria-pressed', String(off));
  e.target.textContent = off ? 'Camera on' : 'Camera off';
  $('self-state').textContent = off ? 'camera off' : '';
});
// ---- screen sharing and devices: replaceTrack() on every connection, never a renegotiation ----
$('screen').addEventListener('click', async (e) => {
  if (app.screenTrack) { stopSharing(); return; }
  let stream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  } catch (err) {
    if (err.name !== 'NotAllowedError') system(`Could not share the screen (${err.name}).`);
    return;
  }
  const track = stream.getVideoTracks()[0];
  track.contentHint = 'detail';
  track.addEventListener('ended', stopSharing);  // the browser's own "Stop sharing"
  app.screenTrack = track;
  await shareEverywhere(track);
  e.target.setAttribute('aria-pressed', 'true');
  e.target.textContent = 'Stop sharing';
  system('You are sharing your screen.');
});
async function shareEverywhere(track) {
  for (const link of app.links.values()) await link.setScreen(track);
  if (app.sfu) await app.sfu.setScreen(track);
  for (const id of app.members.keys()) app.rooms.signal(id, { screen: !!track });
}
function stopSharing() {
  if (!app.screenTrack) return;
  app.screenTrack.stop();
  app.screenTrack = null;
  shareEverywhere(null);
  $('screen').setAttribute('aria-pressed', 'false');
  $('screen').textContent = 'Share screen';
}
// A member's shared screen: one large tile, shown while that member says it shares.
function screenTile(id) {
  let s = app.screens.get(id);
  if (!s) {
    s = { tile: null, stream: new MediaStream(), on: false };
    app.screens.set(id, s);
  }
  return s;
}
function attachScreen(id, track) {
  const s = screenTile(id);
  for (const old of s.stream.getTracks()) s.stream.removeTrack(old);
  s.stream.addTrack(track);
  updateScreen(id);
}
function updateScreen(id) {
  const s = app.screens.get(id);
  if (!s) return;
  const visible = s.on && s.stream.getTracks().length > 0;
  if (visible && !s.tile) {
    s.tile = document.createElement('figure');
    s.tile.className = 'tile screen';
    s.tile.dataset.screen = id;
    s.tile.innerHTML = '<video autoplay playsinline muted></video><figcaption></figcaption>';
    s.tile.querySelector('figcaption').textContent = `${app.members.get(id) || '…'}'s screen`;
    s.tile.querySelector('video').srcObject = s.stream;
    $('videos').prepend(s.tile);
  } else if (!visible && s.tile) {
    s.tile.remove();
    s.tile = null;
  }
}
function removeScreen(id) {
  const s = app.screens.get(id);
  if (s && s.tile) s.tile.remove();
  app.screens.delete(id);
}

async function listDevices() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
  const devices = await navigator.mediaDevices.enumerateDevices();
  for (const [select, kind] of [[$('camera-select'), 'videoinput'], [$('mic-select'), 'audioinput']]) {
    const current = app.localStream && app.localStream.getTracks().find((t) => (t.kind === 'video') === (kind === 'videoinput'));
    const currentId = current ? current.getSettings().deviceId : '';
    select.replaceChildren();
    for (const d of devices.filter((x) => x.kind === kind)) {
      const o = document.createElement('option');
      o.value = d.deviceId;
      o.textContent = d.label || (kind === 'videoinput' ? 'camera' : 'microphone');
      o.selected = d.deviceId === currentId;
      select.append(o);
    }
    select.disabled = !current || select.options.length === 0;
  }
}
// Switches to another camera or microphone mid-call: the new track replaces the old one on
// every connection, so nobody renegotiates and the call goes on.
async function switchDevice(kind, deviceId) {
  if (!app.localStream) return;
  const old = app.localStream.getTracks().find((t) => t.kind === kind);
  const constraints = kind === 'video' ? { video: { deviceId: { exact: deviceId }, width: 640, height: 480 } }
    : { audio: { deviceId: { exact: deviceId } } };
  let track;
  try {
    track = (await navigator.mediaDevices.getUserMedia(constraints)).getTracks()[0];
  } catch (err) {
    system(`Could not switch to that ${kind === 'video' ? 'camera' : 'microphone'} (${err.name}).`);
    return;
  }
  if (old) track.enabled = old.enabled;  // a muted microphone stays muted
  for (const link of app.links.values()) await link.replaceLocal(track);
  if (app.sfu) await app.sfu.replaceLocal(track);
  if (old) { app.localStream.removeTrack(old); old.stop(); }
  app.localStream.addTrack(track);
  app.switches = (app.switches || 0) + 1;
  if (kind === 'video') $('self-video').srcObject = app.localStream;
}
$('camera-select').addEventListener('change', (e) => switchDevice('video', e.target.value));
$('mic-select').addEventListener('change', (e) => switchDevice('audio', e.target.value));

$('leave').addEventListener('click', () => {
  if (app.rooms) { app.rooms.leave(); app.rooms.close(); }
  for (const id of [...app.links.keys()]) removeLink(id, 'left');
  leaveSfu();
  if (app.localStream) app.localStream.getTracks().forEach((t) => t.stop());
  location.href = '/';
});
$('relay-live').addEventListener('change', (e) => {
  // The ICE policy is fixed per RTCPeerConnection: rejoin with the new one.
  const url = new URL(location.href);
  url.search = new URLSearchParams({ room: app.room, name: app.name, ...(e.target.checked ? { relay: '1' } : {}) }).toString();
  location.href = url.toString();
});
$('share').addEventListener('click', async () => {
  const link = `${location.origin}/?room=${encodeURIComponent(app.room)}`;
  try { await navigator.clipboard.writeText(link); status('link copied'); } catch { prompt('Share this link', link); }
});
document.querySelectorAll('.tabs button').forEach((b) => b.addEventListener('click', () => {
  document.querySelectorAll('.tabs button').forEach((x) => x.setAttribute('aria-selected', String(x === b)));
  for (const t of ['chat', 'files', 'details']) $(`tab-${t}`).hidden = t !== b.dataset.tab;
  if (b.dataset.tab === 'details') renderDetails();
}));

// ---- chat -----------------------------------------------------------------------------------
$('chat-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('chat-input').value.trim();
  if (!text) return;
  if (app.mode === 'sfu') for (const id of app.members.keys()) app.rooms.signal(id, { chat: text });
  else for (const link of app.links.values()) link.sendChat(text);
  chatLine(app.name + ' (you)', text);
  $('chat-input').value = '';
});
function chatLine(who, text) {
  app.chat.push({ who, text });
  const li = document.createElement('li');
  const w = document.createElement('span');
  w.className = 'who';
  w.textContent = who;
  li.append(w, document.createTextNode(text));
  $('chat-log').append(li);
  li.scrollIntoView({ block: 'end' });
}
function system(text) {
  const li = document.createElement('li');
  li.className = 'system';
  li.textContent = text;
  $('chat-log').append(li);
}

// ---- files ----------------------------------------------------------------------------------
$('file-input').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  e.target.value = '';
  if (!file) return;
  if (app.fileTransfer !== 'on') { system('File transfer needs a secure page (https:// or localhost).'); return; }
  if (app.mode === 'sfu') { system('Sending files is not available in SFU rooms yet (docs/sfu.md).'); return; }
  if (file.size > MAX_RECEIVE_BYTES) { system(`${file.name} is ${formatBytes(file.size)}; files up to 512 MiB can be sent.`); return; }
  const targets = [...app.links.values()].filter((l) => l.file.readyState === 'open');
  if (!targets.length) { system('Nobody connected to send the file to yet.'); return; }
  const id = `f${++app.fileSeq}`;
  fileEntry(id, `to everyone: ${file.name}`, file.size * targets.length);
  const sent = new Map();
  try {
    const hashes = await Promise.all(targets.map((l) => sendFile(l.file, file, id, (n) => {
      sent.set(l.id, n);
      fileProgress(id, [...sent.values()].reduce((a, b) => a + b, 0));
    })));
    fileDone(id, { name: file.name, size: file.size, sha256: hashes[0], ok: true, sent: true });
  } catch (err) {
    fileDone(id, { name: file.name, size: file.size, error: err.message });
  }
});
function fileEntry(key, title, size) {
  const li = document.createElement('li');
  li.dataset.file = key;
  li.innerHTML = '<strong></strong><progress max="1" value="0"></progress><span class="hash"></span>';
  li.querySelector('strong').textContent = `${title} (${formatBytes(size)})`;
  li.querySelector('progress').max = Math.max(size, 1);
  $('file-list').append(li);
  app.files.push({ key, title, size, received: 0, done: false });
}
function fileProgress(key, n) {
  const li = document.querySelector(`[data-file="${CSS.escape(key)}"]`);
  if (li) li.querySelector('progress').value = n;
  const f = app.files.find((x) => x.key === key);
  if (f) f.received = n;
}
function fileDone(key, info) {
  const f = app.files.find((x) => x.key === key);
  if (f) Object.assign(f, info, { done: true });
  const li = document.querySelector(`[data-file="${CSS.escape(key)}"]`);
  if (!li) return;
  const progress = li.querySelector('progress');
  progress.value = progress.max;
  const hash = li.querySelector('.hash');
  if (info.error) { hash.textContent = `failed: ${info.error}`; hash.classList.add('bad'); return; }
  hash.textContent = `SHA-256 ${info.sha256}`;
  if (!info.sent) {
    const verdict = document.createElement('span');
    verdict.className = info.ok ? 'ok' : 'bad';
    verdict.textContent = info.ok ? '✓ matches the sender' : '✗ does not match the sender';
    const a = document.createElement('a');
    a.href = URL.createObjectURL(info.blob);
    a.download = info.name;
    a.textContent = 'Save';
    li.append(verdict, a);
  }
}
function formatBytes(n) { return n >= 1 << 20 ? (n / (1 << 20)).toFixed(1) + ' MiB' : n >= 1024 ? (n / 1024).toFixed(1) + ' KiB' : n + ' B'; }

// ---- connection details ---------------------------------------------------------------------
let detailsTimer = null;
function scheduleDetails() {
  if (!detailsTimer) detailsTimer = setTimeout(() => { detailsTimer = null; renderDetails(); }, 250);
}
setInterval(async () => {
  for (const link of app.links.values()) link.lastStats = await link.stats();
  if (app.sfu) app.sfu.requestStats();
  updateSfuConstraints();
  updateQuality();
  renderDetails();
}, 1000);

function renderDetails() {
  if ($('tab-details').hidden) return;
  const local = $('local-candidates');
  const all = [...app.links.values()].flatMap((l) => l.localCandidates);
  const byType = {};
  for (const c of all) (byType[c.type] ||= new Set()).add(`${c.protocol} ${c.address}:${c.port}`);
  local.replaceChildren(heading('Candidates this browser gathered'));
  for (const type of ['host', 'srflx', 'prflx', 'relay']) {
    const p = document.createElement('p');
    p.innerHTML = `<span class="pill"></span>`;
    p.firstChild.textContent = `${type}: ${byType[type] ? byType[type].size : 0}`;
    p.append(document.createTextNode(byType[type] ? ' ' + [...byType[type]].join(', ') : ''));
    local.append(p);
  }
  const peers = $('peer-details');
  peers.replaceChildren();
  if (app.sfu) peers.append(sfuDetails(app.sfu));
  for (const link of app.links.values()) {
    const s = link.lastStats || {};
    const box = document.createElement('div');
    box.className = 'details';
    box.append(heading(`${link.name} — ${link.state}${link.initiator ? ' (we offered)' : ' (they offered)'}`));
    const pair = s.selectedPair;
    const table = document.createElement('table');
    const row = (k, v) => { const tr = table.insertRow(); tr.insertCell().textContent = k; tr.insertCell().textContent = v; };
    row('selected pair', pair ? `${fmt(pair.local)} ⇄ ${fmt(pair.remote)}` : 'none yet');
    row('RTT', pair && pair.rttMs !== null ? `${pair.rttMs} ms` : '–');
    row('bitrate', `in ${s.kbpsIn || 0} kbit/s · out ${s.kbpsOut || 0} kbit/s`);
    row('video', `${s.framesDecoded || 0} frames decoded, ${s.framesPerSecond || 0} fps`);
    box.append(table);
    const log = document.createElement('pre');
    log.className = 'siglog';
    log.textContent = link.log.join('\n');
    box.append(heading('Signaling log'), log);
    peers.append(box);
  }
}
// The SFU path: our two connections, the server's estimate toward us, and the layer we get of
// each source (0 = lowest of its simulcast layers).
function sfuDetails(sfu) {
  const s = sfu.lastStats || {};
  const box = document.createElement('div');
  box.className = 'details';
  const state = sfu.state;
  box.append(heading(`SFU — publish ${state.publish}, receive ${state.subscribe}`));
  const table = document.createElement('table');
  const row = (k, v) => { const tr = table.insertRow(); tr.insertCell().textContent = k; tr.insertCell().textContent = v; };
  row('estimate toward us', s.estimate ? `${Math.round(s.estimate / 1000)} kbit/s` : '–');
  row('loss toward us', s.loss !== undefined ? `${(s.loss * 100).toFixed(1)} %` : '–');
  row('round trip to the server', typeof s.rtt === 'number' ? `${Math.round(s.rtt * 1000)} ms` : '–');
  for (const sub of s.subscriptions || []) {
    if (sub.kind !== 'video') continue;
    row(`video of ${app.members.get(sub.source) || sub.source}`, sub.layer === null ? 'paused' : `layer ${sub.layer}`);
  }
  box.append(table);
  const log = document.createElement('pre');
  log.className = 'siglog';
  log.textContent = sfu.log.join('\n');
  box.append(heading('SFU signaling log'), log);
  return box;
}
function heading(text) { const h = document.createElement('h3'); h.textContent = text; return h; }
function fmt(c) { return c ? `${c.type} ${c.protocol}${c.relayProtocol ? '/' + c.relayProtocol : ''} ${c.address}:${c.port}` : '?'; }

// Signalling between two node-datachannel PeerConnections in one process, for the benchmarks
// (ndc-connect.js, peers.js): descriptions handed over as they appear; libdatachannel refuses
// candidates before the remote description, so those that come first are held until then.
module.exports = function wire(from, to) {
  let described = false;
  const held = [];
  from.onLocalDescription((sdp, type) => {
    to.setRemoteDescription(sdp, type);
    described = true;
    for (const [c, mid] of held.splice(0)) to.addRemoteCandidate(c, mid);
  });
  from.onLocalCandidate((c, mid) => (described ? to.addRemoteCandidate(c, mid) : held.push([c, mid])));
};

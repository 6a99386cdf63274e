// Shared by the SFU browser tests: build/bin/sfu_node (one sfu::Worker on a UDP port in this
// namespace) started as a child, one JSON request per stdin line, one reply per stdout line.
'use strict';
const path = require('path');
const readline = require('readline');
const { spawn } = require('child_process');

const SFU_NODE = process.env.SFU_NODE || path.join(__dirname, '../../build/bin/sfu_node');

// { child, next(): the next reply, ask(request): send one and await its reply }
function startSfu() {
  const child = spawn(SFU_NODE, ['127.0.0.1:0'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (l) => { const w = waiting.shift(); if (w) w(JSON.parse(l)); });
  const next = () => new Promise((resolve) => waiting.push(resolve));
  const ask = (request) => { const reply = next(); child.stdin.write(JSON.stringify(request) + '\n'); return reply; };
  return { child, next, ask };
}

module.exports = { startSfu };

/**
 * SSE load clients in a process of their own, so that parsing a million events does not compete
 * with the service under test for its event loop. Started with child_process.fork():
 *   argv: port token clients expected
 * Sends {ready: true} once every stream is open, then one summary when every client has
 * `expected` task events (0: until the parent sends {expect: n}): per client the count and whether
 * the job_ids arrived as 0, 1, 2, ... in order.
 */
'use strict';
const http = require('node:http');

const [port, token, clients, expected] = process.argv.slice(2);
const n = Number(clients);
let want = Number(expected);
const state = [];
let open = 0;
let reported = false;

function report() {
  if (reported) return;
  reported = true;
  process.send({ summary: state.map((s) => ({ count: s.count, inOrder: s.inOrder, chunks: s.chunks })) }, () => process.exit(0));
}

function maybeDone() {
  if (want > 0 && state.length === n && state.every((s) => s.count >= want)) report();
}

for (let i = 0; i < n; i++) {
  const s = { count: 0, inOrder: true, chunks: 0, rest: '' };
  state.push(s);
  const req = http.get({ host: '127.0.0.1', port: Number(port), path: '/api/events', agent: false, headers: { authorization: `token ${token}` } }, (res) => {
    res.setEncoding('utf8');
    let connected = false;
    res.on('data', (chunk) => {
      s.chunks += 1;
      const text = s.rest + chunk;
      const messages = text.split('\n\n');
      s.rest = messages.pop();
      for (const m of messages) {
        if (!connected && m.startsWith(': connected')) {
          connected = true;
          if (++open === n) process.send({ ready: true });
        } else if (m.startsWith('event: task\ndata: ')) {
          const event = JSON.parse(m.slice('event: task\ndata: '.length));
          if (event.job_id !== s.count) s.inOrder = false;
          s.count += 1;
        }
      }
      maybeDone();
    });
  });
  req.on('error', (error) => {
    process.send({ error: String(error) });
  });
}

process.on('message', (m) => {
  if (m && typeof m.expect === 'number') {
    want = m.expect;
    maybeDone();
  }
});

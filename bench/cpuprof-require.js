// For bench/overhead-probe.ts: `OVERHEAD_CPUPROF=$PWD/bench/cpuprof-require.js` loads this into the
// workers and the API service (NODE_OPTIONS=--require). It starts V8's sampling profiler at once and
// writes `<pid>-<command>.cpuprofile` into OVERHEAD_OUT (the probe sets it to its own output dir) when the
// process exits; open it in Chrome DevTools (Performance) or summarize its samples. The profiler adds
// CPU of its own: read shares, not milliseconds.
const inspector = require('inspector');
const fs = require('fs');
const path = require('path');

const out = process.env.OVERHEAD_OUT || '/tmp/nbgrid-overhead';
const session = new inspector.Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 500 });
session.post('Profiler.start');
process.on('exit', () => {
  // The in-process inspector session answers synchronously, so this runs before the process ends.
  session.post('Profiler.stop', (err, res) => {
    if (err) return;
    fs.mkdirSync(out, { recursive: true });
    const name = `${process.pid}-${String(process.argv[2] || 'node').replace(/\W/g, '')}.cpuprofile`;
    fs.writeFileSync(path.join(out, name), JSON.stringify(res.profile));
  });
});

/**
 * `make faults`: runs the fault suite (test/worker/integration/faults, real services) and prints
 * one row per injected fault: tasks in the map, tasks lost, duplicate OK runs, time to recover
 * (seconds from the fault until every task of the map finished). Exits non-zero when a test
 * failed or any task was lost or ran twice as a success.
 *
 *   node -r ./scripts/ts-hook.js scripts/faults/run.ts
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

interface IFaultMeasure {
  fault: string;
  tasks: number;
  lost: number;
  duplicateOk: number;
  recoverSeconds: number;
}

const root = path.resolve(__dirname, '..', '..');
const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbgrid-fault-report-'));
const reportFile = path.join(reportDir, 'faults.jsonl');

const jest = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'), '--runInBand', '--testPathPattern', 'test/worker/integration/faults/'],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NBGRID_FAULTS_REPORT: reportFile } }
);

const rows: IFaultMeasure[] = fs.existsSync(reportFile)
  ? fs.readFileSync(reportFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as IFaultMeasure)
  : [];
fs.rmSync(reportDir, { recursive: true, force: true });

const header = ['fault', 'tasks in the map', 'tasks lost', 'duplicate OK runs', 'time to recover (s)'];
const table = [header, ...rows.map((r) => [r.fault, String(r.tasks), String(r.lost), String(r.duplicateOk), r.recoverSeconds.toFixed(1)])];
const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
const line = (row: string[]): string => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
process.stdout.write(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
for (const row of table.slice(1)) process.stdout.write(`${line(row)}\n`);

const bad = rows.filter((r) => r.lost > 0 || r.duplicateOk > 0);
if (rows.length === 0) process.stdout.write('no fault was measured\n');
if (bad.length > 0) process.stdout.write(`FAIL: tasks lost or run twice as a success in: ${bad.map((r) => r.fault).join(', ')}\n`);
if (jest.status !== 0) process.stdout.write(`FAIL: the fault suite failed (jest exit ${jest.status ?? jest.signal})\n`);
process.exit(jest.status === 0 && bad.length === 0 && rows.length > 0 ? 0 : 1);

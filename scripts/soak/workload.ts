/**
 * The soak's workload: one notebook whose behaviour each task's parameter decides (how long each
 * cell sleeps, whether it prints a lot, whether and where it fails on purpose), so the checker
 * knows from the parameters alone what every task must end as.
 */
import type { SeededRandom } from './random';

/** One task's parameter; also the whole truth about what it must end as. */
export interface ISoakParam {
  i: number;
  /** Milliseconds each work cell sleeps (integers: the value must come back exactly). */
  sleeps: number[];
  /** Index of the work cell that raises on purpose, or -1. */
  fail: number;
  /** Lines printed by each work cell. */
  lines: number;
}

/** The most work cells a task uses; the notebook has this many. */
export const WORK_CELLS = 3;

/** The message a task that fails on purpose must end with (checked in its last run). */
export const failureMessage = (i: number): string => `soak task ${i} fails on purpose`;

/** What `results()` must hold for a task that succeeds. */
export const expectedResult = (p: ISoakParam): { i: number; cells: number; slept_ms: number } => ({
  i: p.i,
  cells: p.sleeps.length,
  slept_ms: p.sleeps.reduce((a, b) => a + b, 0)
});

export const shouldSucceed = (p: ISoakParam): boolean => p.fail < 0;

/**
 * Parameters of `count` tasks: 1-3 cells of 0.2-2 s each (mostly 1-2), about 10% failing on
 * purpose in a random cell, about 10% printing a few thousand lines per cell.
 */
export function soakParams(count: number, rnd: SeededRandom, offset = 0): ISoakParam[] {
  return Array.from({ length: count }, (_, k) => {
    const cells = rnd.chance(0.15) ? 3 : rnd.int(1, 2);
    const sleeps = Array.from({ length: cells }, () => rnd.int(200, 2000));
    return {
      i: offset + k,
      sleeps,
      fail: rnd.chance(0.1) ? rnd.int(0, cells - 1) : -1,
      lines: rnd.chance(0.1) ? rnd.int(2000, 6000) : 0
    };
  });
}

const cell = (source: string, tags?: string[]): Record<string, unknown> => ({
  cell_type: 'code',
  metadata: tags ? { tags } : {},
  source,
  outputs: [],
  execution_count: null
});

/** The soak notebook: a parameters cell, WORK_CELLS work cells, a cell that returns the result. */
export function soakNotebook(): Record<string, unknown> {
  const step = (k: number): string =>
    [
      `p = job['param']`,
      `if ${k} < len(p['sleeps']):`,
      `    time.sleep(p['sleeps'][${k}] / 1000)`,
      `    for n in range(p['lines']):`,
      `        print(f"task {p['i']} cell ${k} line {n}: " + "x" * 40)`,
      `    if p['fail'] == ${k}:`,
      `        raise RuntimeError(f"soak task {p['i']} fails on purpose")`
    ].join('\n');
  const cells = [
    cell("job = globals().get('job', {'param': {'i': 0, 'sleeps': [200], 'fail': -1, 'lines': 0}})", ['parameters']),
    cell('import time'),
    ...Array.from({ length: WORK_CELLS }, (_, k) => cell(step(k))),
    cell("p = job['param']\njob['result'] = {'i': p['i'], 'cells': len(p['sleeps']), 'slept_ms': sum(p['sleeps'])}")
  ];
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
      language_info: { name: 'python' }
    },
    cells: cells.map((c, n) => ({ id: `soak-${n}`, ...c }))
  };
}

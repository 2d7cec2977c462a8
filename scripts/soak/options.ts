/** The soak's parameters, read from the environment once (`make soak` documents them in the README). */
import { FAULT_KINDS, type FaultKind } from './fault-kinds';

export interface ISoakOptions {
  /** Tasks of the main map. @defaultValue 300 (`SOAK_TASKS`) */
  tasks: number;
  /** Length of the fault window in seconds. @defaultValue 300 (`SOAK_MINUTES`=5) */
  windowSeconds: number;
  /** Seed of every random choice (workload and faults). @defaultValue the clock (`SOAK_SEED`) */
  seed: number;
  /** Workers of the stack. @defaultValue 2 (`SOAK_WORKERS`) */
  workers: number;
  /** Fault kinds to draw from. @defaultValue all of them (`SOAK_FAULTS`, comma-separated) */
  faultKinds: FaultKind[];
  /** Seconds between two faults, drawn uniformly. @defaultValue [15, 45] (`SOAK_FAULT_GAP`=`15-45`) */
  faultGap: [number, number];
  /** Longest wait for every task to be final after the window, in seconds. @defaultValue 600 (`SOAK_DRAIN_MINUTES`=10) */
  drainSeconds: number;
  /** Seconds without any task changing state after which the drain gives up. @defaultValue 180 (`SOAK_STALL_SECONDS`) */
  stallSeconds: number;
  /** Tasks of the second map, cancelled midway. @defaultValue tasks / 5 (`SOAK_SECOND_MAP`) */
  secondMapTasks: number;
  /** Restart rounds the client may spend after the window on tasks that should succeed. @defaultValue 3 (`SOAK_RESTART_ROUNDS`) */
  restartRounds: number;
  /**
   * Visibility timeout of the workers in seconds: how long a killed worker's messages wait before
   * another worker's sweep restores them. @defaultValue 3600, kombu's and `nbgrid up`'s (`SOAK_VISIBILITY`)
   */
  visibilityTimeout: number;
  /** Keep the stack's directory (logs, AOF, FerretDB data) for a post-mortem. @defaultValue false (`SOAK_KEEP=1`) */
  keep: boolean;
  /** Record every Redis command (`MONITOR`) into the run directory. @defaultValue false (`SOAK_MONITOR=1`) */
  monitor: boolean;
}

function num(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min}, got '${raw}'`);
  return n;
}

export function readSoakOptions(env: NodeJS.ProcessEnv = process.env): ISoakOptions {
  const tasks = Math.floor(num(env, 'SOAK_TASKS', 300, 1));
  const kinds = (env.SOAK_FAULTS ?? FAULT_KINDS.join(',')).split(',').map((k) => k.trim()).filter(Boolean);
  for (const k of kinds) {
    if (!(FAULT_KINDS as readonly string[]).includes(k)) throw new Error(`SOAK_FAULTS: unknown fault '${k}' (known: ${FAULT_KINDS.join(', ')})`);
  }
  const gap = (env.SOAK_FAULT_GAP ?? '15-45').split('-').map(Number);
  if (gap.length !== 2 || !gap.every((g) => Number.isFinite(g) && g >= 0) || gap[0] > gap[1]) {
    throw new Error(`SOAK_FAULT_GAP must look like 15-45 (seconds), got '${env.SOAK_FAULT_GAP}'`);
  }
  return {
    tasks,
    windowSeconds: num(env, 'SOAK_MINUTES', 5, 0) * 60,
    seed: Math.floor(num(env, 'SOAK_SEED', Date.now() % 1000000, 0)),
    workers: Math.floor(num(env, 'SOAK_WORKERS', 2, 1)),
    faultKinds: kinds as FaultKind[],
    faultGap: [gap[0], gap[1]],
    drainSeconds: num(env, 'SOAK_DRAIN_MINUTES', 10, 0) * 60,
    stallSeconds: num(env, 'SOAK_STALL_SECONDS', 180, 1),
    secondMapTasks: Math.floor(num(env, 'SOAK_SECOND_MAP', Math.max(4, Math.round(tasks / 5)), 0)),
    restartRounds: Math.floor(num(env, 'SOAK_RESTART_ROUNDS', 3, 0)),
    visibilityTimeout: num(env, 'SOAK_VISIBILITY', 3600, 1),
    keep: env.SOAK_KEEP === '1',
    monitor: env.SOAK_MONITOR === '1'
  };
}

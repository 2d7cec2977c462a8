/**
 * The cache row of `make bench`: a map of 1,000 tasks of which 900 have an OK run in an earlier
 * group of the job (`cache: true`), from the request until the map answered and until status
 * shows the 900 final, beside a plain map of 1,000. The 900 OK runs are real runs (2 workers,
 * kernel reuse on to make seeding quick). Both measured maps go to a label no worker serves, so
 * no execution runs beside the measurement, and the cached map starts once the plain map's task
 * documents are written. The cache lookup is one query per map (1,000 keys).
 * Also timed: from the same request until `results()` answers with the 900 cached values (which
 * waits for the task documents, written after the map answered).
 *
 *   node -r ./scripts/ts-hook.js bench/cache.ts [N] [CACHED]
 */
import { Api, benchStack, since, table, trivialNotebook } from './lib';

const IDLE_LABEL = 'bench-nobody';

export async function cacheBench(n = 1000, cached = 900): Promise<{ plain: number; accepted: number; final: number; results: number; seed: number }> {
  const stack = await benchStack(2, { NBGRID_KERNEL_REUSE: 'all' });
  try {
    const api = Api.of(stack);
    await api.put('cache-bench', trivialNotebook());
    const t0 = process.hrtime.bigint();
    const seed = await api.map('cache-bench', Array.from({ length: cached }, (_, i) => i));
    await api.waitDone('cache-bench', seed.task_group);
    const seedSeconds = since(t0);
    const map = (params: unknown[], cache: boolean) =>
      api.request<{ task_group: string; cached?: number }>('POST', '/api/jobs/cache-bench/map', { params, require: IDLE_LABEL, cache });
    await map([0], true); // warm-up (connections, JIT)
    await map([0], false);

    const t1 = process.hrtime.bigint();
    const p = await map(Array.from({ length: n }, (_, i) => n + cached + i), false);
    const plain = since(t1);
    // Its 1,000 task documents are written after it answered: let that finish (results() waits
    // for them), so the cached map is measured on a stack as idle as the plain one was.
    await api.request('GET', `/api/jobs/cache-bench/results?task_group=${p.task_group}`);

    const t2 = process.hrtime.bigint();
    const m = await map(Array.from({ length: n }, (_, i) => i), true);
    const accepted = since(t2);
    if (m.cached !== cached) throw new Error(`expected ${cached} cached tasks, the map answered ${m.cached}`);
    let final = 0;
    for (;;) {
      const rows = await api.status('cache-bench', m.task_group);
      if (rows.filter((r) => r.status === 'SUCCESS').length >= cached) {
        final = since(t2);
        break;
      }
      if (since(t2) > 60) throw new Error('the cached tasks were not final within 60 s');
    }
    const res = await api.request<{ results: unknown[] }>('GET', `/api/jobs/cache-bench/results?task_group=${m.task_group}`);
    const results = since(t2);
    const values = res.results.filter((r, i) => i < cached && r === i * 2).length;
    if (values !== cached) throw new Error(`expected the ${cached} cached values in results(), found ${values}`);
    return { plain, accepted, final, results, seed: seedSeconds };
  } finally {
    await stack.stop();
  }
}

if (require.main === module) {
  const n = Number(process.argv[2] ?? 1000);
  const cached = Number(process.argv[3] ?? 900);
  cacheBench(n, cached)
    .then((r) =>
      table(`map of ${n} with ${cached} cached`, ['measure', 'seconds'], [
        [`map of ${n}, no cache: accepted`, r.plain.toFixed(3)],
        [`map of ${n}, ${cached} cached: accepted`, r.accepted.toFixed(3)],
        [`map of ${n}, ${cached} cached: accepted and the ${cached} final in status`, r.final.toFixed(3)],
        [`map of ${n}, ${cached} cached: accepted until results() holds the ${cached} values`, r.results.toFixed(3)],
        [`(seeding: ${cached} real OK runs)`, r.seed.toFixed(1)]
      ])
    )
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}

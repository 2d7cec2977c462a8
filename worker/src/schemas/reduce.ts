/**
 * The shapes of a map's reduce step (`then`) and of its cache flags: what `map()` takes beside its
 * parameters, and the fields status rows, tasks and results gain from them.
 */
import { Type, type Static } from '@sinclair/typebox';
import { jsonValue, LabelSchema } from './common';
import { NameSchema } from './name';

/** When a group's reduce notebook runs once every task is final. */
export const REDUCE_WHEN = ['all_ok', 'always'] as const;
export type ReduceWhen = (typeof REDUCE_WHEN)[number];

/** `then` of a map body: the stored notebook run once per round when every task of the group is final. */
export const ThenSchema = Type.Object(
  {
    notebook: NameSchema,
    when: Type.Optional(
      Type.Union(REDUCE_WHEN.map((w) => Type.Literal(w)), {
        description: "all_ok (default): only when every task ended OK; always: in any case (a cancelled group never reduces).",
        default: 'all_ok'
      })
    ),
    require: Type.Optional(LabelSchema)
  },
  {
    additionalProperties: false,
    description:
      "Reduce: run this stored notebook once every task of the group is final, with job = {'task_group', 'params', 'results', 'status', 'failed'} (parameter order). " +
      "require: the reduce task's worker label (default: the map's)."
  }
);
export type IThen = Static<typeof ThenSchema>;

/** `cache` of a map body. */
export const CacheFlagSchema = Type.Boolean({
  description: 'Do not run a task whose input key (code cells, parameter, kernelspec) has an OK run in an earlier group of the job: record it at once as SUCCESS/OK with cached_from. Off when absent.'
});

/** `force` of a map body. */
export const ForceFlagSchema = Type.Boolean({ description: 'With cache: ignore the cache and run every task. Off when absent.' });

/** Marks a status row as the group's reduce task (absent on other rows). */
export const ReduceRowFieldSchema = Type.Integer({ minimum: 1, description: "Present on the group's reduce row: the reduce round it ran for (1, then +1 per restart of tasks)." });

/** Marks a task (or status row) recorded from the cache: the task whose OK run it reuses. */
export const CachedFromSchema = Type.String({ description: 'Set when the task was not run: the name of the task whose OK run (result and result notebook) it reuses.' });

/** `reduced` of a results answer: the reduce task's returned value, null until it has an OK run. */
export const ReducedSchema = jsonValue("The value the group's reduce notebook returned (latest round), null when there is none (no then, not run yet, or not OK).");

/** Set on a reduce task: the group and round it reduces. */
export const ReduceOfSchema = Type.Object(
  { job: Type.String(), task_group: Type.String(), round: Type.Integer({ minimum: 1 }) },
  { description: 'Set on the task that runs a reduce notebook: the mapped job, group and round it reduces.' }
);
export type IReduceOf = Static<typeof ReduceOfSchema>;

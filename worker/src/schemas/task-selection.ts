/** Schemas of the single-task parts of restart and cancel (`tasks` in their bodies). */
import { Type } from '@sinclair/typebox';

/** Most tasks one restart or cancel may name (each is written under its own lock). */
export const MAX_SELECTED_TASKS = 1000;

/** `tasks` of a restart or cancel body: which tasks of one group, by name or by job_id. */
export const TaskSelectionSchema = Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), {
  minItems: 1,
  maxItems: MAX_SELECTED_TASKS,
  description:
    "Only these tasks of one task group: task names as status() gives them ('tasks/<nb>/<group>-<i>', '.ipynb' optional), " +
    'or job_ids as decimal strings (of task_group, else of the latest group). Restart re-runs each whatever its state; ' +
    'cancel revokes those queued or running.'
});

/** `with_results` of a restart's answer. */
export const WithResultsSchema = Type.Array(Type.String(), {
  description:
    'Tasks left alone because they already have results (an OK run whose result notebook exists); absent with reset or tasks.'
});

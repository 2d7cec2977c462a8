export { validateNotebook } from './validate-notebook';
export { pythonLiteral, pythonString } from './python-literal';
export { renderTaskNotebook, kernelLanguage, pythonParametersSource, INJECTED_TAG, PARAMETERS_TAG, type ITaskParameters } from './inject-parameters';
export {
  validateName,
  newTaskGroup,
  taskName,
  taskNotebookPath,
  resultName,
  stripIpynb,
  parseTaskName,
  MAX_NAME_LENGTH,
  TASKS_PREFIX,
  RESULTS_PREFIX
} from './task-names';
export { papermillAssignments, checkPapermillParameter, isVariableName } from './papermill-variables';

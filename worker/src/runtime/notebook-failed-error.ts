/** Python's built-in exception names: a notebook's own error keeps its type in the Celery result. */
const PYTHON_BUILTIN_ERRORS = new Set([
  'ArithmeticError', 'AssertionError', 'AttributeError', 'BufferError', 'EOFError', 'Exception',
  'FileExistsError', 'FileNotFoundError', 'FloatingPointError', 'ImportError', 'IndexError',
  'KeyError', 'KeyboardInterrupt', 'LookupError', 'MemoryError', 'ModuleNotFoundError',
  'NameError', 'NotImplementedError', 'OSError', 'OverflowError', 'PermissionError',
  'RecursionError', 'RuntimeError', 'StopIteration', 'SyntaxError', 'SystemError',
  'TimeoutError', 'TypeError', 'UnboundLocalError', 'UnicodeError', 'ValueError',
  'ZeroDivisionError', 'ConnectionError', 'InterruptedError'
]);

/**
 * A task notebook that did not run to the end. The Celery result is a FAILURE whose exception is
 * the notebook's own (`ValueError`, …) when Python has it built in, else `RuntimeError`, so
 * `AsyncResult.get()` in Python raises something meaningful; the message keeps the traceback.
 */
export class NotebookFailedError extends Error {
  readonly excType: string;
  readonly excModule = 'builtins';
  constructor(message: string, ename: string | undefined) {
    super(message);
    this.name = this.constructor.name;
    this.excType = ename && PYTHON_BUILTIN_ERRORS.has(ename) ? ename : 'RuntimeError';
  }
}

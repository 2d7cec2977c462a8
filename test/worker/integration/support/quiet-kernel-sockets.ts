/**
 * @jupyterlab/services logs `console.debug('Starting WebSocket: …')` for every kernel connection; a
 * suite opens hundreds, and jest prints each with its stack, which buries the lines that say what
 * failed. Only that message is dropped; every other console call is printed as before.
 */
const debug = console.debug.bind(console);
console.debug = (...args: unknown[]): void => {
  if (typeof args[0] === 'string' && args[0].startsWith('Starting WebSocket: ')) return;
  debug(...args);
};

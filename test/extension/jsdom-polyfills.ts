// What Lumino and JupyterLab touch at import time but jsdom does not define. Import first.
const globals = globalThis as Record<string, unknown>;
if (typeof globals.DragEvent === 'undefined' && typeof MouseEvent !== 'undefined') {
  globals.DragEvent = class DragEvent extends MouseEvent {};
}
if (typeof globals.ResizeObserver === 'undefined') {
  globals.ResizeObserver = class ResizeObserver {
    observe(): void {}
    unobserve(): void {}
    disconnect(): void {}
  };
}
if (typeof window !== 'undefined' && typeof window.matchMedia !== 'function') {
  window.matchMedia = (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => undefined,
      removeListener: () => undefined,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      dispatchEvent: () => false
    }) as MediaQueryList;
}
export {};

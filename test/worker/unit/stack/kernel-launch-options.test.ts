/**
 * The kernel launch options of `nbgrid up`: fork is the default, a bad mode is named, and
 * `--preload` / NBGRID_PRELOAD takes comma-separated module names and names the first bad one.
 */
import { loadConfig } from '../../../../worker/src/config';
import { parseKernelLaunch, parsePreload } from '../../../../worker/src/stack';

describe('parseKernelLaunch', () => {
  it('defaults to fork', () => {
    expect(parseKernelLaunch(undefined)).toBe('fork');
    expect(parseKernelLaunch('')).toBe('fork');
    expect(loadConfig({}).kernelLaunch).toBe('fork');
  });

  it('keeps spawn available and names a bad value', () => {
    expect(parseKernelLaunch('spawn')).toBe('spawn');
    expect(() => parseKernelLaunch('vfork')).toThrow("kernel launch mode must be spawn or fork, got 'vfork'");
  });
});

describe('parsePreload', () => {
  it('splits, trims and drops empty entries', () => {
    expect(parsePreload(' numpy, pandas ,,matplotlib.pyplot ')).toEqual(['numpy', 'pandas', 'matplotlib.pyplot']);
    expect(parsePreload('')).toEqual([]);
  });

  it('names the first entry that is not a module name', () => {
    expect(() => parsePreload('numpy,os.path;rm,pandas')).toThrow("'os.path;rm' is not a Python module name");
    expect(() => parsePreload('numpy,1abc')).toThrow("'1abc' is not a Python module name");
    expect(() => parsePreload('numpy..linalg')).toThrow("'numpy..linalg' is not a Python module name");
  });

  it('NBGRID_PRELOAD is read by the config as a list', () => {
    expect(loadConfig({ NBGRID_PRELOAD: 'numpy,pandas' }).preload).toEqual(['numpy', 'pandas']);
    expect(() => loadConfig({ NBGRID_PRELOAD: 'numpy;pandas' })).toThrow(/NBGRID_PRELOAD/);
  });
});

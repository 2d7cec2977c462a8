/** Which tasks may reuse a pooled kernel: only under an opt-in worker mode. */
import { mayReuseKernel } from '../../../../worker/src/runtime/run-notebook-task';

const declared = { metadata: { nbgrid: { reuse_kernel: true } } };
const plain = { metadata: {} };

describe('mayReuseKernel', () => {
  it('never reuses by default or with mode off, even when the notebook asks', () => {
    expect(mayReuseKernel(declared)).toBe(false);
    expect(mayReuseKernel(declared, 'off')).toBe(false);
  });

  it('opt-in reuses only notebooks whose metadata declares nbgrid.reuse_kernel true', () => {
    expect(mayReuseKernel(declared, 'opt-in')).toBe(true);
    expect(mayReuseKernel(plain, 'opt-in')).toBe(false);
    expect(mayReuseKernel({ metadata: { nbgrid: { reuse_kernel: 'yes' } } }, 'opt-in')).toBe(false);
    expect(mayReuseKernel({}, 'opt-in')).toBe(false);
  });

  it('all reuses every notebook', () => {
    expect(mayReuseKernel(plain, 'all')).toBe(true);
  });
});

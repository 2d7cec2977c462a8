// The dialog about an unavailable backend is chosen by the answer's hint code, not by its text.
const shown: [string, string][] = [];
jest.mock('@jupyterlab/apputils', () => ({
  showErrorMessage: jest.fn(async (title: string, message: string) => {
    shown.push([title, message]);
  })
}));

import { START_HINT } from '../../src/api-client';
import { NbgridError } from '../../src/errors';
import { reportFailure } from '../../src/report-failure';

describe('reportFailure', () => {
  beforeEach(() => {
    shown.length = 0;
  });

  it('titles the dialog by the hint code and adds its fix once', async () => {
    await reportFailure('Cannot map', new NbgridError('MongoDB is unreachable (x)', 503, true, { code: 'mongo_unavailable', part: 'mongodb', fix: 'start MongoDB again' }));
    const extension = 'nbgrid service is not reachable at http://127.0.0.1:9: start it with `nbgrid up`';
    await reportFailure('Cannot map', new NbgridError(extension, 503, true, { code: 'service_unreachable', part: 'service', fix: 'start it with `nbgrid up`' }));
    expect(shown).toEqual([
      ['nbgrid cannot reach MongoDB', 'MongoDB is unreachable (x)\n\nstart MongoDB again'],
      ['The nbgrid service is not running', extension]
    ]);
  });

  it('says how to start the service when no hint came, whatever the message says', async () => {
    await reportFailure('Cannot map', new NbgridError('Cannot reach the Jupyter server: nbgrid up', 0, true));
    await reportFailure('Cannot map', new NbgridError('params must not be empty', 400, false));
    expect(shown).toEqual([
      ['The nbgrid service is not running', `Cannot reach the Jupyter server: nbgrid up\n\n${START_HINT}`],
      ['Cannot map', 'params must not be empty']
    ]);
  });
});

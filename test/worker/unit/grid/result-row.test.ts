/**
 * The results read model's row encoding (worker/src/storage/result-row.ts) and what a task
 * document makes of it (resultRowOf): texts come back exactly, absent and too-large values are
 * told apart, and anything that is not a row decodes to null (a missing row, never a wrong one).
 */
import { Binary } from 'mongodb';
import { decodeResultRow, encodeResultRow, MAX_ROW_VALUE_CHARS, type IResultRow } from '../../../../worker/src/storage/result-row';
import { resultRowOf } from '../../../../worker/src/storage/results-read-model';

const roundTrip = (row: IResultRow, max?: number) => decodeResultRow(encodeResultRow(row, max));

describe('result rows', () => {
  it('keep the stored JSON texts exactly, whatever they hold', () => {
    const texts = [
      '{"score": 1.50, "b": 2, "a": NaN}',
      '"a|b|c 12|34|"',
      '[1e400, -0.0, 12345678901234567890]',
      '"\\u0000 nul, ünïcödé, 🚀, \\ud800"',
      'null',
      '',
      '7|3|2|1|x'
    ];
    for (const result of texts) {
      for (const scraps of [undefined, '[["acc", 0.5], ["label", "a|b"]]', '[]']) {
        const row: IResultRow = { rev: 12, task_id: 'c0ffee|42', result, ...(scraps !== undefined ? { scraps } : {}) };
        expect(roundTrip(row)).toEqual(row);
      }
    }
  });

  it('tell a value not returned from one returned as null or an empty text', () => {
    expect(roundTrip({ rev: 0, task_id: 't' })).toEqual({ rev: 0, task_id: 't' });
    expect(roundTrip({ rev: 0, task_id: 't', scraps: '[["a",1]]' })).toEqual({ rev: 0, task_id: 't', scraps: '[["a",1]]' });
    expect(roundTrip({ rev: 0, task_id: 't', result: 'null' })).toEqual({ rev: 0, task_id: 't', result: 'null' });
    expect(roundTrip({ rev: 3, task_id: '', result: '' })).toEqual({ rev: 3, task_id: '', result: '' });
  });

  it('put the revision first, where Redis orders writes by it', () => {
    expect(encodeResultRow({ rev: 41, task_id: 'id', result: '1' })).toMatch(/^41\|/);
    expect(encodeResultRow({ rev: 41, task_id: 'id', result: '1' })).toBe('41|2|1|-1|id1');
  });

  it('leave out values over the limit and mark them to be read from MongoDB', () => {
    const big = `"${'x'.repeat(MAX_ROW_VALUE_CHARS)}"`;
    expect(roundTrip({ rev: 5, task_id: 'id', result: big })).toEqual({ rev: 5, task_id: 'id', tooLarge: true });
    expect(encodeResultRow({ rev: 5, task_id: 'id', result: big })).toBe('5|2|-2|-2|id');
    // The limit counts result and scraps together.
    expect(roundTrip({ rev: 1, task_id: 'id', result: '12345', scraps: '67890' }, 9)).toEqual({ rev: 1, task_id: 'id', tooLarge: true });
    expect(roundTrip({ rev: 1, task_id: 'id', result: '12345', scraps: '6789' }, 9)).toEqual({ rev: 1, task_id: 'id', result: '12345', scraps: '6789' });
  });

  it('decode anything else as null', () => {
    const good = encodeResultRow({ rev: 2, task_id: 'abc', result: '[1,2]', scraps: '[]' });
    for (const bad of [
      '',
      'garbage',
      good.slice(0, -1),
      `${good}x`,
      '2|3|5|2|ab',
      '-1|3|-1|-1|abc',
      'x|3|-1|-1|abc',
      '2|-1|-1|-1|',
      '2|3|-3|-1|abc',
      '2|3|-2|-1|abc',
      '2|3|-2|-2|abcd',
      '2|3|1.5|-1|abc1',
      '2|3|-1|-1'
    ]) {
      expect([bad, decodeResultRow(bad)]).toEqual([bad, null]);
    }
    expect(decodeResultRow(good)).toEqual({ rev: 2, task_id: 'abc', result: '[1,2]', scraps: '[]' });
  });
});

describe('the row of a task document', () => {
  const doc = {
    task_group: 'g',
    job_id: 3,
    task_id: 'tid',
    run_status: 'OK' as const,
    rev: 4,
    param: new Binary(Buffer.from('{"a":1}')),
    result: new Binary(Buffer.from('{"loss": 0.10}')),
    scraps: new Binary(Buffer.from('[["acc",0.5]]'))
  };

  it("is the OK run's values as stored", () => {
    expect(resultRowOf(doc)).toEqual({ job_id: 3, rev: 4, task_id: 'tid', result: '{"loss": 0.10}', scraps: '[["acc",0.5]]' });
    const { result: _r, scraps: _s, rev: _v, ...bare } = doc;
    expect(resultRowOf(bare)).toEqual({ job_id: 3, rev: 0, task_id: 'tid' });
  });

  it('is none for a task without an OK run, or a document read without its values', () => {
    expect(resultRowOf({ ...doc, run_status: 'ERROR' })).toBeNull();
    expect(resultRowOf({ ...doc, run_status: 'unknown' })).toBeNull();
    const { param: _p, ...projected } = doc;
    expect(resultRowOf(projected)).toBeNull();
  });
});

import { decodeReturnedValue } from '../../../../worker/src/executor/returned-value';

function reply(json: string) {
  return { status: 'ok', data: { 'text/plain': `'${Buffer.from(json, 'utf-8').toString('base64')}'` }, metadata: {} };
}

describe('decodeReturnedValue', () => {
  it('decodes JSON, NUL and unicode included', () => {
    expect(decodeReturnedValue(reply('{"a": [1, null, "x\\u0000y", "\u00e9"]}'))).toEqual({ value: { a: [1, null, 'x\u0000y', '\u00e9'] }, text: '{"a": [1, null, "x\\u0000y", "\u00e9"]}' });
  });

  it('is no value for an empty text', () => {
    expect(decodeReturnedValue(reply(''))).toEqual({});
  });

  it('is a null value for JSON null', () => {
    expect(decodeReturnedValue(reply('null'))).toEqual({ value: null, text: 'null' });
  });

  it('reports the Python error of the expression', () => {
    expect(decodeReturnedValue({ status: 'error', ename: 'ValueError', evalue: 'Out of range float values are not JSON compliant' }))
      .toEqual({ error: 'ValueError: Out of range float values are not JSON compliant' });
  });

  it('reports an unexpected representation', () => {
    expect(decodeReturnedValue({ status: 'ok', data: { 'text/plain': '42' } }).error).toContain('unexpected');
  });
});

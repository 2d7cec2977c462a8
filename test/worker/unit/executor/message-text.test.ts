import { boundText, formatErrorMessage, MAX_MESSAGE_LENGTH, stripAnsi } from '../../../../worker/src/executor';

describe('stripAnsi', () => {
  it('removes the colour codes IPython puts in tracebacks', () => {
    expect(stripAnsi('\u001b[0;31mValueError\u001b[0m: bad\u001b[1;32m!\u001b[39m')).toBe('ValueError: bad!');
  });

  it('removes OSC hyperlinks and keeps their text', () => {
    expect(stripAnsi('\u001b]8;;file:///x.py\u0007x.py\u001b]8;;\u0007:3')).toBe('x.py:3');
  });
});

describe('boundText', () => {
  it('keeps short text as it is', () => {
    expect(boundText('short', 10)).toBe('short');
  });

  it('keeps the head and the tail of long text within the bound', () => {
    const text = `HEAD${'x'.repeat(200000)}TAIL`;
    const bounded = boundText(text);
    expect(bounded.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    expect(bounded.length).toBeGreaterThan(MAX_MESSAGE_LENGTH - 100);
    expect(bounded.startsWith('HEAD')).toBe(true);
    expect(bounded.endsWith('TAIL')).toBe(true);
    expect(bounded).toMatch(/\[\d+ characters omitted\]/);
  });
});

describe('formatErrorMessage', () => {
  it('is ename: evalue and the whole traceback without ANSI codes, not cut short', () => {
    const frame = `\u001b[0;32m${'a'.repeat(300)}\u001b[0m`;
    const message = formatErrorMessage({ ename: 'KeyError', evalue: "'k'", traceback: [frame, '\u001b[0;31mKeyError\u001b[0m: k'] });
    expect(message).toBe(`KeyError: 'k'\n${'a'.repeat(300)}\nKeyError: k`);
  });

  it('is only ename: evalue without a traceback', () => {
    expect(formatErrorMessage({ ename: 'E', evalue: 'v', traceback: [] })).toBe('E: v');
  });
});

import { terminalJson, terminalLine, terminalSafe, writeLogLine } from '../../../../worker/src/cli/terminal-text';

/** Anything a terminal would act on, after sanitizing. */
// eslint-disable-next-line no-control-regex -- the test looks for control characters
const ACTIVE = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

describe('terminalSafe', () => {
  it.each([
    ['CSI: clear screen, colours, cursor moves', 'ValueError: \x1b[2J\x1b[1;31mred\x1b[0m\x1b[10A up', 'ValueError: red up'],
    ['OSC title ended by BEL', 'x\x1b]0;pwned\x07y', 'xy'],
    ['OSC hyperlink ended by ST', 'see \x1b]8;;http://evil/\x1b\\here\x1b]8;;\x1b\\', 'see here'],
    ['OSC 52 clipboard write', 'a\x1b]52;c;ZXZpbA==\x07b', 'ab'],
    ['unterminated OSC swallows the rest, as a terminal would', 'ok\x1b]0;title and more', 'ok'],
    ['DCS string', 'a\x1bPq#0;2;0;0;0\x1b\\b', 'ab'],
    ['8-bit CSI', 'a\x9b2Jb', 'ab'],
    ['8-bit OSC ended by 8-bit ST', 'a\x9d0;t\x9cb', 'ab'],
    ['ESC c resets the terminal, ESC ( B charset', 'a\x1bcb\x1b(Bc', 'abc'],
    ['lone ESC at the end', 'end\x1b', 'end'],
    ['carriage return, backspace, bell, DEL, NUL, form feed', 'over\rwrite\b\x07\x7f\x00\x0c!', 'overwrite!'],
    ['other C1 controls (NEL, IND)', 'a\x85b\x84c', 'abc']
  ])('strips %s', (_what, input, expected) => {
    expect(terminalSafe(input)).toBe(expected);
    expect(terminalSafe(input)).not.toMatch(ACTIVE);
  });

  it('keeps newlines, tabs and printable text of any script', () => {
    const text = 'name\tvalue\ncaf\u00e9 \u65e5\u672c\u8a9e \ud83d\ude80 \u00a0nbsp [brackets] ~tilde';
    expect(terminalSafe(text)).toBe(text);
  });

  it('terminalLine turns newlines and tabs into spaces', () => {
    expect(terminalLine('a\tb\nc\x1b[2K')).toBe('a b c');
  });

  it('strips every control of a random string', () => {
    for (let n = 0; n < 200; n++) {
      const s = Array.from({ length: 40 }, () => String.fromCharCode(Math.floor(Math.random() * 0xb0))).join('');
      expect(terminalSafe(s)).not.toMatch(ACTIVE);
    }
  });
});

describe('terminalJson', () => {
  it('escapes what JSON.stringify leaves raw and stays the same JSON value', () => {
    const value = { 'k\x9b': ['\x1b]0;t\x07', '\x9b2J', 'del\x7f', 'caf\u00e9'], n: 1.5, nested: { '\x85': null } };
    const text = terminalJson(value);
    expect(text).not.toMatch(ACTIVE);
    expect(text).toContain('\\u009b2J');
    expect(JSON.parse(text)).toEqual(value);
    expect(JSON.parse(terminalJson(value, 2))).toEqual(value);
  });
});

describe('writeLogLine', () => {
  it('writes a log line (a kernel name or message from a notebook) without what a terminal would act on', () => {
    const written: string[] = [];
    writeLogLine({ write: (text: string) => written.push(text) }, "could not start '\x1b]0;pwned\x07py\x1b[2J3'", '  ');
    expect(written).toEqual(["  could not start 'py3'\n"]);
  });
});

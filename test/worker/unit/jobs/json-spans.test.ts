// Issue 14: parameters and returned values kept as JSON text (worker/src/domain/json-spans, JsonText).
import { encodeJson, JsonText, responseJson } from '../../../../worker/src/domain/json-bytes';
import { compactJson, jsonArrayElements, jsonDepth, jsonMemberText } from '../../../../worker/src/domain/json-spans';

describe('JSON spans', () => {
  it('splits an array into its elements as compact text, numbers and key order untouched', () => {
    expect(jsonArrayElements(' [ 9007199254740993 , 1.0,-0.0 , 1e+30, {"2": 0, "1" : [ ]}, "a , ] \\" }" ,null ] ')).toEqual([
      '9007199254740993',
      '1.0',
      '-0.0',
      '1e+30',
      '{"2":0,"1":[]}',
      '"a , ] \\" }"',
      'null'
    ]);
    expect(jsonArrayElements('[]')).toEqual([]);
    expect(jsonArrayElements('[NaN,-Infinity]')).toEqual(['NaN', '-Infinity']);
  });

  it('finds a member of an object (the last one when repeated, as JSON.parse does)', () => {
    const text = '{"require": "gpu", "params" : [1, 2.0], "x": {"params": 0}}';
    expect(jsonMemberText(text, 'params')).toBe('[1, 2.0]');
    expect(jsonMemberText('{"params": [1], "params": [2]}', 'params')).toBe('[2]');
    expect(jsonMemberText('{"a": 1}', 'params')).toBeUndefined();
  });

  it('keeps whitespace inside strings when compacting', () => {
    expect(compactJson('{ "a b" : [ 1 ,\n\t"c\\" d" ] }')).toBe('{"a b":[1,"c\\" d"]}');
  });

  it('measures nesting depth outside strings', () => {
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('[1, {"a": [2]}, "[[[["]')).toBe(3);
  });

  it('does not recurse: 100,000 levels of nesting', () => {
    const deep = '['.repeat(100000) + ']'.repeat(100000);
    expect(jsonArrayElements(`[${deep}, 1]`)).toEqual([deep, '1']);
    expect(jsonDepth(deep)).toBe(100000);
  });
});

describe('JsonText', () => {
  it('is written exactly by encodeJson and responseJson', () => {
    const value = { results: [new JsonText('9007199254740993'), new JsonText('{"2":1,"1":2}'), null], missing: [] as number[] };
    expect(encodeJson(value).toString()).toBe('{"results":[9007199254740993,{"2":1,"1":2},null],"missing":[]}');
    expect(responseJson(value)).toBe('{"results":[9007199254740993,{"2":1,"1":2},null],"missing":[]}');
  });

  it('responseJson follows JSON.stringify for undefined and non-finite values, also in old stored texts', () => {
    expect(responseJson({ a: undefined, b: NaN, c: [undefined], d: new JsonText('[NaN,1.0]') })).toBe('{"b":null,"c":[null],"d":[null,1]}');
  });

  it('gives serializers that do not know it the parsed value', () => {
    expect(JSON.stringify({ v: new JsonText('{"a":[1,2]}') })).toBe('{"v":{"a":[1,2]}}');
  });
});

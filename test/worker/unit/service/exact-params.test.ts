/**
 * Issue 14: the map route keeps each parameter as the JSON text it was sent as (JavaScript
 * numbers would change big ints, 1.0, -0.0 and 10**30, and objects reorder integer-like keys).
 */
import type { IMapBody } from '../../../../worker/src/schemas';
import { parseJsonBody } from '../../../../worker/src/service/json-body';
import { exactMapParams } from '../../../../worker/src/service/routes/jobs';

describe('exactMapParams', () => {
  it('gives each parameter as sent, compact', () => {
    const body = parseJsonBody('{"require": "gpu", "params": [ 9007199254740993, 1.0, -0.0, 1e30, {"2": "b", "1": "a"} ]}') as IMapBody;
    expect(exactMapParams(body)?.map((p) => p.text)).toEqual(['9007199254740993', '1.0', '-0.0', '1e30', '{"2":"b","1":"a"}']);
    // what JavaScript itself would have made of them
    expect(JSON.stringify(body.params)).toBe('[9007199254740992,1,0,1e+30,{"1":"a","2":"b"}]');
  });

  it('has nothing for a range or a body it did not parse', () => {
    expect(exactMapParams(parseJsonBody('{"range": {"stop": 3}}') as IMapBody)).toBeUndefined();
    expect(exactMapParams({ params: [1] } as IMapBody)).toBeUndefined();
  });
});

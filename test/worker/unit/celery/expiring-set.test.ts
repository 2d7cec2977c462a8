/** The worker's in-memory revokes forget ids after their TTL and hold at most maxSize. */
import { ExpiringSet } from '../../../../worker/src/celery/expiring-set';

describe('ExpiringSet', () => {
  it('holds a member until its TTL passes, and drops expired members on the next add', () => {
    const set = new ExpiringSet(1000);
    set.add('a', 0);
    expect(set.has('a', 999)).toBe(true);
    expect(set.has('a', 1000)).toBe(false);
    set.add('b', 1500);
    expect(set.size).toBe(1);
    expect(set.has('b', 2000)).toBe(true);
  });

  it('re-adding renews a member; past maxSize the oldest go first', () => {
    const set = new ExpiringSet(1000, 2);
    set.add('a', 0);
    set.add('b', 10);
    set.add('a', 20); // renewed: now the newest
    set.add('c', 30);
    expect(set.size).toBe(2);
    expect(set.has('b', 30)).toBe(false);
    expect(set.has('a', 1019)).toBe(true);
    expect(set.has('c', 30)).toBe(true);
  });
});

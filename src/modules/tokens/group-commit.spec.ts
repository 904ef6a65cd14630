import { GroupCommit } from './group-commit';

describe('GroupCommit', () => {
  it('callers of one turn share a flush; callers arriving during a flush share the next', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const commit = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await gate;
      return items.map((i) => i * 10);
    });
    const first = [commit.run(1), commit.run(2)];
    await Promise.resolve();
    await Promise.resolve();
    const later = [commit.run(3), commit.run(4), commit.run(5)];
    release();
    expect(await Promise.all([...first, ...later])).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
  });

  it('splits at the batch limit', async () => {
    const sizes: number[] = [];
    const commit = new GroupCommit<number, number>(async (items) => {
      sizes.push(items.length);
      return items;
    }, 2);
    await Promise.all([1, 2, 3, 4, 5].map((i) => commit.run(i)));
    expect(sizes).toEqual([2, 2, 1]);
  });

  it('a failed batch is retried item by item: only the bad item fails', async () => {
    const batches: number[][] = [];
    const commit = new GroupCommit<number, string>(async (items) => {
      batches.push(items);
      if (items.includes(2)) throw new Error(`bad ${items.join(',')}`);
      return items.map(String);
    });
    const results = await Promise.allSettled([1, 2, 3].map((i) => commit.run(i)));
    expect(results).toEqual([
      { status: 'fulfilled', value: '1' },
      { status: 'rejected', reason: new Error('bad 2') },
      { status: 'fulfilled', value: '3' },
    ]);
    expect(batches).toEqual([[1, 2, 3], [1], [2], [3]]);
    // Still usable afterwards.
    expect(await commit.run(4)).toBe('4');
  });
});

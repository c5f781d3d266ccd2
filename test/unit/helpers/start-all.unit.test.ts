import { describe, expect, it } from 'vitest';
import { startAll } from '../../helpers/start-all.js';

const handle = (name: string, stopped: string[]) => ({
  name,
  stop: () => {
    stopped.push(name);
    return Promise.resolve();
  },
});

describe('startAll', () => {
  it('gives every handle, in order, when all start', async () => {
    const stopped: string[] = [];
    const [a, n, b] = await startAll(
      Promise.resolve(handle('a', stopped)),
      Promise.resolve(7),
      Promise.resolve(handle('b', stopped)),
    );
    expect([a.name, n, b.name]).toEqual(['a', 7, 'b']);
    expect(stopped).toEqual([]);
  });

  it('stops those that started when one fails, then throws its error', async () => {
    const stopped: string[] = [];
    const boom = new Error('the jar did not build');
    await expect(
      startAll(Promise.resolve(handle('moto', stopped)), Promise.reject(boom), Promise.resolve(3)),
    ).rejects.toBe(boom);
    expect(stopped).toEqual(['moto']);
  });
});

import { DEFAULT_TOPOLOGY, parseTopology } from './topology';

describe('parseTopology', () => {
  const plain = { tuning: false, benchmarks: ['capacity'] };

  it('takes single or split, and the default when unset', () => {
    expect(parseTopology('single', plain)).toBe('single');
    expect(parseTopology('split', plain)).toBe('split');
    expect(parseTopology(undefined, plain)).toBe(DEFAULT_TOPOLOGY);
  });

  it('refuses anything else, naming the option', () => {
    expect(() => parseTopology('three', plain)).toThrow('--topology must be single or split, not "three"');
  });

  it('runs the worker in process when a tuning lever or the scale bench needs it, and refuses split with them', () => {
    expect(parseTopology(undefined, { tuning: true, benchmarks: ['latency'] })).toBe('single');
    expect(parseTopology(undefined, { tuning: false, benchmarks: ['latency', 'scale'] })).toBe('single');
    expect(() => parseTopology('split', { tuning: true, benchmarks: ['latency'] })).toThrow(/--topology single/);
    expect(() => parseTopology('split', { tuning: false, benchmarks: ['scale'] })).toThrow(/^scale reads/);
  });
});

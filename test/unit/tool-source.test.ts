import { describe, expect, it } from 'vitest';
import { PROMETHEUS } from '../helpers/prometheus.js';
import { chooseToolSource, findToolSource } from '../helpers/tool-source.js';

// Where the tests get Redis and Prometheus from. This machine has the binaries, so the container
// path is checked here by its choice only; it runs where Docker does.
describe('chooseToolSource', () => {
  it('runs the binaries when all of them are on PATH, without asking for Docker', () => {
    expect(chooseToolSource(PROMETHEUS, [], false)).toEqual({ kind: 'binary' });
    expect(chooseToolSource(PROMETHEUS, [], true)).toEqual({ kind: 'binary' });
  });

  it('runs the image through testcontainers when a binary is missing and Docker answers', () => {
    expect(chooseToolSource(PROMETHEUS, ['promtool'], true)).toEqual({ kind: 'container', image: PROMETHEUS.image });
    expect(PROMETHEUS.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
  });

  it('says what to install, or to start Docker, when neither is there', () => {
    const source = chooseToolSource(PROMETHEUS, ['prometheus', 'promtool'], false);
    expect(source.kind).toBe('missing');
    const message = source.kind === 'missing' ? source.message : '';
    expect(message).toContain('`prometheus` and `promtool` not found on PATH');
    expect(message).toContain('apt-get install -y prometheus');
    expect(message).toContain(`start Docker to have the tests run ${PROMETHEUS.image} through testcontainers`);
  });
});

describe('findToolSource', () => {
  it('finds a binary that runs', async () => {
    expect(await findToolSource({ name: 'Node', binaries: ['node'], image: 'node:20', install: 'nodejs.org' })).toEqual({ kind: 'binary' });
  });
});

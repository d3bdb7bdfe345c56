import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  CHART_OWNED_OPTIONS,
  QUEUE_NAME_PATTERN,
  chartConfigJsonSchema,
  configJsonSchema,
  renderDefaultConfig,
} from '../../src/cli/commands/config/files.js';
import { loadConfig } from '../../src/config/load.js';
import { listOptions } from '../../src/config/options.js';
import { configSchema } from '../../src/config/schema.js';
import { isValidQueueName } from '../../src/tenancy/validation.js';

/**
 * The committed files derived from src/config/schema.ts must be what the schema produces now,
 * so that an option added there cannot be missing from them. On a failure, regenerate:
 * `npm run build && node scripts/gen-config.mjs`.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (relative: string): string => readFileSync(path.join(ROOT, relative), 'utf8');
const REGENERATE = 'out of date: run `npm run build && node scripts/gen-config.mjs`';

describe('config/default.yaml', () => {
  it('is what the schema produces', () => {
    expect(read('config/default.yaml'), `config/default.yaml ${REGENERATE}`).toBe(renderDefaultConfig());
  });

  it('holds every option with its default, which the worker loads unchanged', () => {
    const file = path.join(ROOT, 'config/default.yaml');
    const { config, sources } = loadConfig({ file, env: {}, flags: {} });
    expect(config).toEqual(configSchema.parse({}));
    for (const option of listOptions()) {
      // The app module has no default: it is the one option left commented out.
      expect(sources[option.path], option.path).toBe(option.defaultValue === undefined ? 'default' : 'file');
    }
  });

  it('documents each option with its description, variable and flag', () => {
    const text = read('config/default.yaml');
    for (const option of listOptions()) {
      expect(text).toContain(option.description);
      expect(text).toContain(`env ${option.envVar}, flag ${option.flag}`);
    }
  });
});

describe('config/schema.json', () => {
  it('is what the schema produces', () => {
    expect(JSON.parse(read('config/schema.json')), `config/schema.json ${REGENERATE}`).toEqual(configJsonSchema());
  });

  it('lists every option, refuses unknown ones and keeps the defaults', () => {
    const schema = configJsonSchema() as { properties: Record<string, { default?: unknown; properties?: Record<string, { default?: unknown }> }>; additionalProperties: boolean };
    expect(schema.additionalProperties).toBe(false);
    for (const option of listOptions()) {
      const [head, leaf] = option.path.split('.');
      const node = leaf ? schema.properties[head!]?.properties?.[leaf] : schema.properties[head!];
      expect(node, option.path).toBeDefined();
      if (option.defaultValue !== undefined) expect(node!.default, option.path).toEqual(option.defaultValue);
    }
  });

  it('has the queue-name rule the code applies', () => {
    const pattern = new RegExp(QUEUE_NAME_PATTERN);
    for (const name of ['emails', 'a', 'q.1_x-y', 'A'.repeat(64), '', '-x', 'a:b', '{x}', 'a b', 'A'.repeat(65)]) {
      expect(pattern.test(name), name).toBe(isValidQueueName(name));
    }
  });
});

describe("the chart's values.schema.json", () => {
  const valuesSchema = JSON.parse(read('charts/turbine-worker/values.schema.json')) as { properties: { config: unknown } };

  it('holds the configuration schema without the options the chart sets itself', () => {
    expect(valuesSchema.properties.config, `values.schema.json ${REGENERATE}`).toEqual(chartConfigJsonSchema());
    const keys = Object.keys((chartConfigJsonSchema() as { properties: object }).properties);
    for (const owned of CHART_OWNED_OPTIONS) expect(keys).not.toContain(owned);
    expect(keys).toContain('shutdownGraceMs');
  });

  it("accepts the chart's default config value", () => {
    const values = parseYaml(read('charts/turbine-worker/values.yaml')) as { config: Record<string, unknown> };
    const keys = Object.keys((chartConfigJsonSchema() as { properties: object }).properties);
    for (const key of Object.keys(values.config)) expect(keys).toContain(key);
  });
});

// Writes the files derived from src/config/schema.ts: config/default.yaml, config/schema.json
// and the `config` property of charts/turbine-worker/values.schema.json (the rest of that file
// is written by hand). Reads the compiled schema, so run `npm run build` first.
// test/unit/config-files.test.ts fails when a committed file differs from what this writes.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chartConfigJsonSchema, configJsonSchema, renderDefaultConfig } from '../dist/cli/commands/config/files.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const json = (value) => `${JSON.stringify(value, null, 2)}\n`;

function write(relative, text) {
  const file = path.join(ROOT, relative);
  let before = '';
  try {
    before = readFileSync(file, 'utf8');
  } catch {
    // A new file.
  }
  if (before === text) return;
  writeFileSync(file, text);
  console.log(`wrote ${relative}`);
}

write('config/default.yaml', renderDefaultConfig());
write('config/schema.json', json(configJsonSchema()));

const valuesSchemaPath = 'charts/turbine-worker/values.schema.json';
const valuesSchema = JSON.parse(readFileSync(path.join(ROOT, valuesSchemaPath), 'utf8'));
valuesSchema.properties.config = chartConfigJsonSchema();
write(valuesSchemaPath, json(valuesSchema));

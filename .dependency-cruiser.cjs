/**
 * Turbine's dependency rules, checked by `npm test` (npm run deps): no import cycle between
 * files or folders, and imports point one way through the layers:
 *   core ← store ← dispatcher ← tracing ← tenancy, dlq ← tasks, config, worker ← metrics, http, ui ← cli, dev
 * The composition roots (worker/start.ts, worker/main.ts, index.ts) attach the outer parts.
 */
const layer = (name, mayNotImport, extra = {}) => ({
  name: `${name}-layer`,
  comment: `src/${name} may not import ${mayNotImport.join(', ')}`,
  severity: 'error',
  from: { path: `^src/${name}/`, ...extra },
  to: { path: `^src/(${mayNotImport.join('|')})/` },
});
const OUTER = ['metrics', 'http', 'cli', 'dev', 'ui'];

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'import cycles between files', from: {}, to: { circular: true } },
    layer('core', ['store', 'dispatcher', 'tracing', 'tenancy', 'dlq', 'tasks', 'config', 'worker', ...OUTER]),
    layer('store', ['dispatcher', 'tracing', 'tenancy', 'dlq', 'tasks', 'config', 'worker', ...OUTER]),
    layer('dispatcher', ['tracing', 'tenancy', 'dlq', 'tasks', 'config', 'worker', ...OUTER]),
    layer('tracing', ['tenancy', 'dlq', 'tasks', 'config', 'worker', ...OUTER]),
    layer('tenancy', ['dlq', 'tasks', 'config', 'worker', ...OUTER]),
    layer('dlq', ['tasks', 'config', 'worker', ...OUTER]),
    layer('tasks', ['config', 'worker', ...OUTER]),
    layer('config', ['worker', ...OUTER]),
    layer('worker', OUTER, { pathNot: '^src/worker/(start|main)\\.ts$' }),
    layer('metrics', ['http', 'cli', 'dev', 'ui']),
    layer('http', ['metrics', 'cli', 'dev', 'ui']),
    layer('dev', ['cli', 'ui']),
    layer('ui', ['cli', 'dev']),
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
  },
};

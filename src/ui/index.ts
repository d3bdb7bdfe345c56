// `turbine/ui`: the web console as a request handler, to serve with node:http or mount in an
// Express or Fastify app (see docs/ui.md).
export { createConsole } from './console.js';
export type { ConsoleOptions, TurbineConsole } from './console.js';

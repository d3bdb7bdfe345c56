#!/usr/bin/env node
console.error('turbine-worker: not implemented yet');
process.exitCode = 1;

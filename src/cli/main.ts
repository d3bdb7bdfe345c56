#!/usr/bin/env node
import { runCli } from './root.js';

process.exitCode = await runCli(process.argv.slice(2));

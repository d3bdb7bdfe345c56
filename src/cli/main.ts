#!/usr/bin/env node
import { errorLine } from './exit.js';
import { runCli } from './root.js';

// `turbine tenant list | head`: a reader that leaves early is not the command's failure, and
// no output error deserves a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') console.error(errorLine(error));
  process.exit(error.code === 'EPIPE' ? 0 : 1);
});

const code = await runCli(process.argv.slice(2));
// The command is done once runCli returns and its clients are closed. A timer left behind by a
// library (ioredis keeps one for 2 s after a refused connection) must not keep the prompt
// waiting, so exit now, after the output has been handed to the OS.
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

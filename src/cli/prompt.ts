import { createInterface } from 'node:readline';

export interface PromptIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

/**
 * Asks a yes/no question; only `y` or `yes` (any case) agrees. The default is no, so an empty
 * answer, Ctrl-D or a closed input never confirm a destructive step.
 */
export function confirm(question: string, io: PromptIo): Promise<boolean> {
  const rl = createInterface({ input: io.input, output: io.output });
  return new Promise<boolean>((resolve) => {
    let answered = false;
    rl.once('close', () => {
      // Input ended without an answer: end the prompt's line so the next message starts clean.
      if (!answered) io.output.write('\n');
      resolve(false);
    });
    // On a terminal readline takes Ctrl-C from the process; without this it would only pause.
    rl.once('SIGINT', () => rl.close());
    rl.question(`${question} [y/N] `, (answer) => {
      answered = true;
      resolve(/^(y|yes)$/i.test(answer.trim()));
      rl.close();
    });
  });
}

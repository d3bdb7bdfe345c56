/** Fenced code blocks of a Markdown file, for the tests that run the docs as written. */

export interface CodeBlock {
  lang: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The HTML comment right above the block (`<!-- excerpt -->` → `excerpt`), if any. */
  marker: string | null;
}

export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]!); i++) body.push(lines[i]!.slice(open[1]!.length));
    let above = start - 1;
    while (above >= 0 && lines[above]!.trim() === '') above--;
    const marker = above >= 0 ? /^<!--\s*(.+?)\s*-->$/.exec(lines[above]!.trim())?.[1] ?? null : null;
    blocks.push({ lang: open[2]!, code: `${body.join('\n')}\n`, line: start + 1, marker });
  }
  return blocks;
}

/** The text under a `## heading`, up to the next heading of the same or a higher level. */
export function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) throw new Error(`No section '${heading}'`);
  const level = heading.indexOf(' ');
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && l.indexOf(' ') <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** A shell block as commands: comments and blank lines dropped, `\` continuations joined. */
export function shellCommands(code: string): string[] {
  return code
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/**
 * Docs whose `<!-- transcript -->` blocks test/e2e/docs-transcripts.test.ts runs: each `$ `
 * line a command, the lines under it what it prints (stdout and stderr).
 */
export const TRANSCRIPT_DOCS = ['docs/cli.md', 'docs/dlq.md'];

export interface TranscriptStep {
  command: string;
  expected: string[];
}

/** A transcript block as commands and their output; `\` continuation lines joined. */
export function transcriptSteps(code: string): TranscriptStep[] {
  const steps: TranscriptStep[] = [];
  let continued = false;
  for (const line of code.replace(/\n$/, '').split('\n')) {
    const current = steps.at(-1);
    if (continued && current) {
      current.command += ` ${line.trim().replace(/\\$/, '').trim()}`;
    } else if (line.startsWith('$ ')) {
      steps.push({ command: line.slice(2).replace(/\\$/, '').trim(), expected: [] });
    } else if (current) {
      current.expected.push(line);
    } else {
      throw new Error(`Transcript output before any command: ${line}`);
    }
    continued = line.endsWith('\\');
  }
  return steps;
}

/**
 * Docs whose `<!-- program -->` blocks, in order, make one TypeScript program that
 * test/e2e/docs-programs.test.ts runs.
 */
export const PROGRAM_DOCS = ['docs/sdk.md'];

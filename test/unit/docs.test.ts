// The README and docs/ stay runnable and self-contained. Every code block is either run by a test
// (the README's Quick start, by test/e2e/quick-start.test.ts; blocks marked `<!-- transcript -->`
// in TRANSCRIPT_DOCS, by test/e2e/docs-transcripts.test.ts; `<!-- program -->` in PROGRAM_DOCS,
// by test/e2e/docs-programs.test.ts) or marked `<!-- excerpt -->` right
// above it, a promise that it shows part of something rather than a thing to paste and run. And
// nothing in the repository points outside it.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROGRAM_DOCS, TRANSCRIPT_DOCS, codeBlocks, section } from '../helpers/markdown.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DOCS = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

/** Source, docs and configuration files of the repository (not dependencies or build output). */
function repositoryFiles(directory = ''): string[] {
  const skip = new Set(['node_modules', 'dist', '.git', '.turbine', 'coverage']);
  return readdirSync(path.join(ROOT, directory), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(directory, entry.name);
    if (entry.isDirectory()) return skip.has(entry.name) ? [] : repositoryFiles(relative);
    return /\.(ts|mts|mjs|js|lua|md|ya?ml|json|sh)$|^Dockerfile$|^run$/.test(entry.name) && entry.name !== 'package-lock.json' ? [relative] : [];
  });
}

describe('README and docs/', () => {
  it('mark every code block they do not run as an excerpt', () => {
    const quickStart = section(read('README.md'), '## Quick start');
    const unmarked = DOCS.flatMap((file) => {
      const text = read(file);
      return codeBlocks(text)
        .filter((block) => block.marker !== 'excerpt')
        .filter((block) => !(block.marker === 'transcript' && TRANSCRIPT_DOCS.includes(file)))
        .filter((block) => !(block.marker === 'program' && PROGRAM_DOCS.includes(file)))
        .filter((block) => !(file === 'README.md' && quickStart.includes(block.code)))
        .map((block) => `${file}:${block.line}`);
    });
    expect(unmarked, 'add <!-- excerpt --> above these blocks, or run them in a test (<!-- transcript --> or <!-- program --> in a file the docs tests run)').toEqual([]);
  });

  it("link only to files that exist in the repository", () => {
    const broken = DOCS.flatMap((file) =>
      [...read(file).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
        .map((m) => m[1]!)
        .filter((target) => !/^[a-z]+:/.test(target))
        .filter((target) => !existsSync(path.resolve(ROOT, path.dirname(file), target)))
        .map((target) => `${file} → ${target}`),
    );
    expect(broken).toEqual([]);
  });

  it('no file points outside the repository or to design notes a clone does not have', () => {
    const outside = [/\.\.\/shared\b/, /ARCHITECTURE\.md/, /\bARCHITECTURE decision\b/, /\bdecision \d+\b/i, /\bthe guide\b/i];
    const self = 'test/unit/docs.test.ts';
    const found = repositoryFiles()
      .filter((file) => file !== self)
      .flatMap((file) => {
        // Examples are what users copy: they import the package by name, never the sources.
        const patterns = file.startsWith('examples/') ? [...outside, /\.\.\/src\//] : outside;
        return read(file)
          .split('\n')
          .flatMap((line, i) => (patterns.some((pattern) => pattern.test(line)) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
      });
    expect(found).toEqual([]);
  });
});

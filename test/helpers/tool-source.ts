import { spawnSync } from 'node:child_process';

/**
 * Where a test gets an outside tool (Redis, Prometheus) from: its binaries on PATH when they are
 * all there, else a container of its image through testcontainers when a container runtime
 * (Docker) answers, else nowhere, with a message that says what to install.
 */
export type ToolSource = { kind: 'binary' } | { kind: 'container'; image: string } | { kind: 'missing'; message: string };

export interface Tool {
  /** What it is called in messages: `Prometheus`. */
  name: string;
  /** The programs the tests run, all needed: `['prometheus', 'promtool']`. */
  binaries: readonly string[];
  /** The image that has them all. */
  image: string;
  /** How to install the binaries, as a command or a sentence. */
  install: string;
}

/** The choice, from what was found: the binaries that are missing, and whether Docker answers. */
export function chooseToolSource(tool: Tool, missing: readonly string[], docker: boolean): ToolSource {
  if (missing.length === 0) return { kind: 'binary' };
  if (docker) return { kind: 'container', image: tool.image };
  const names = missing.map((binary) => `\`${binary}\``).join(' and ');
  return {
    kind: 'missing',
    message:
      `${tool.name} for the tests: ${names} not found on PATH and no container runtime answers. ` +
      `Install ${missing.length > 1 ? 'them' : 'it'} (${tool.install}), or start Docker to have the tests run ${tool.image} through testcontainers.`,
  };
}

/** Looks for the tool's binaries, and only when one is missing asks whether Docker answers. */
export async function findToolSource(tool: Tool): Promise<ToolSource> {
  const missing = tool.binaries.filter((binary) => !runs(binary));
  return chooseToolSource(tool, missing, missing.length > 0 && (await dockerAnswers()));
}

function runs(binary: string): boolean {
  return spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** True when testcontainers finds a working container runtime (Docker, Podman, …). */
async function dockerAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

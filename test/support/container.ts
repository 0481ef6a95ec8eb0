// The container stack, checked without a Docker daemon: the Dockerfile parsed into stages, its build context as
// .dockerignore leaves it, compose.yaml as Debian's docker-compose resolves it, and the Dockerfile's stages replayed on
// this machine in a temporary root (every absolute path of the image under that root).
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import dockerignore from '@balena/dockerignore';
import { parse as parseDockerfile, type CommandEntry } from 'docker-file-parser';
import { parse as parseYaml } from 'yaml';
import { ROOT, type RunResult } from './process.mjs';
import { trackedFiles } from './package.js';

export const APT_DOCKER_COMPOSE = 'apt-get install docker-compose';

export interface Stage {
  from: string;
  name: string | undefined;
  instructions: CommandEntry[];
}

/** The Dockerfile's stages, in order. */
export function dockerfileStages(file = join(ROOT, 'Dockerfile')): Stage[] {
  const stages: Stage[] = [];
  for (const c of parseDockerfile(readFileSync(file, 'utf8'), { includeComments: false })) {
    if (c.name === 'FROM') {
      const [from, as, name] = String(c.args).split(/\s+/);
      stages.push({ from: from!, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(c);
    }
  }
  return stages;
}

/** An instruction's exec-form arguments (`["a", "b"]`), or its shell form as one string. */
export function argsOf(c: CommandEntry): string[] {
  return Array.isArray(c.args) ? c.args.map(String) : [String(c.args)];
}

/** The HEALTHCHECK's exec-form command (after its options). */
export function healthcheckCommand(stage: Stage): string[] {
  const h = stage.instructions.find((c) => c.name === 'HEALTHCHECK');
  if (h === undefined) throw new Error('the stage has no HEALTHCHECK');
  const json = /\bCMD\s+(\[.*\])\s*$/s.exec(String(h.args))?.[1];
  if (json === undefined) throw new Error(`HEALTHCHECK is not in exec form: ${String(h.args)}`);
  return JSON.parse(json) as string[];
}

/** COPY sources from the build context (not --from another stage): the paths as written. */
export function copySources(stage: Stage): string[] {
  return stage.instructions
    .filter((c) => c.name === 'COPY' && !argsOf(c).some((a) => a.startsWith('--from=')))
    .flatMap((c) => argsOf(c).filter((a) => !a.startsWith('--')).slice(0, -1));
}

/** The tracked files .dockerignore lets into the build context. */
export function buildContext(): string[] {
  const rules = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
  const ig = dockerignore({ ignorecase: false }).add(rules);
  return ig.filter(trackedFiles());
}

/** `docker-compose -f compose.yaml config` with these variables: the resolved file, or why it could not run. */
export function composeConfig(vars: Record<string, string>): { code: number; yaml: string; stderr: string } {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error(`Debian's docker-compose is needed to validate compose.yaml offline: ${APT_DOCKER_COMPOSE} (.ci/run installs it)`);
  }
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...vars };
  try {
    const yaml = execFileSync('docker-compose', ['-f', join(ROOT, 'compose.yaml'), 'config'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, yaml, stderr: '' };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, yaml: e.stdout, stderr: e.stderr };
  }
}

export interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  ports?: unknown[];
  volumes?: unknown[];
  build?: unknown;
  image?: string;
}

export function composeServices(yaml: string): Record<string, ComposeService> {
  return (parseYaml(yaml) as { services: Record<string, ComposeService> }).services;
}

/** Map the image's absolute paths under `root`: `/pkg/x` → `<root>/pkg/x` (words starting with `/`). */
export function underRoot(root: string, text: string): string {
  return text.replace(/(^|[\s=:])\/(?=[A-Za-z])/g, `$1${root}/`);
}

export interface Replayed {
  root: string;
  env: NodeJS.ProcessEnv;
  workdir: string;
}

/**
 * Replay one stage in `root`: WORKDIR, ENV, COPY (from the build context, or --from an earlier replayed stage) and
 * RUN (sh -c, absolute paths under the root, npm's global prefix at <root>/usr/local, from npm's cache where it can).
 */
export async function replayStage(stage: Stage, root: string, earlier: Record<string, Replayed>, baseEnv: NodeJS.ProcessEnv): Promise<Replayed> {
  const context = buildContext();
  const prefix = join(root, 'usr', 'local');
  mkdirSync(join(prefix, 'bin'), { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...baseEnv,
    PATH: `${join(prefix, 'bin')}:${baseEnv.PATH ?? ''}`,
    npm_config_prefix: prefix,
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
  };
  let workdir = root;
  for (const c of stage.instructions) {
    const args = argsOf(c);
    if (c.name === 'WORKDIR') {
      workdir = underRoot(root, args[0]!);
      mkdirSync(workdir, { recursive: true });
    } else if (c.name === 'ENV') {
      for (const [k, v] of Object.entries(c.args as Record<string, string>)) env[k] = underRoot(root, v);
    } else if (c.name === 'COPY') {
      const from = args.find((a) => a.startsWith('--from='))?.slice('--from='.length);
      const paths = args.filter((a) => !a.startsWith('--'));
      const dest = paths.at(-1)!;
      const destPath = dest.startsWith('/') ? underRoot(root, dest) : join(workdir, dest);
      for (const src of paths.slice(0, -1)) {
        if (from !== undefined) {
          const other = earlier[from];
          if (other === undefined) throw new Error(`COPY --from=${from}: no such earlier stage`);
          cpSync(underRoot(other.root, src), destPath, { recursive: true });
          continue;
        }
        const files = context.filter((f) => f === src || f.startsWith(`${src}/`));
        if (files.length === 0) throw new Error(`COPY ${src}: nothing in the build context`);
        const many = paths.length > 2 || dest.endsWith('/');
        for (const f of files) {
          const target = many && f === src ? join(destPath, f) : join(destPath, f.slice(src.length));
          mkdirSync(dirname(target), { recursive: true });
          cpSync(join(ROOT, f), target);
        }
      }
    } else if (c.name === 'RUN') {
      const r = await sh(underRoot(root, args.join(' ')), workdir, env);
      if (r.code !== 0) throw new Error(`RUN ${args.join(' ')} failed (${r.code}): ${r.stderr.slice(-2000)}`);
    }
  }
  return { root, env, workdir };
}

function sh(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes });
    });
  });
}

/** Where a command name resolves on a PATH, as the image's ENTRYPOINT would. */
export function onPath(name: string, path: string): string | undefined {
  return path.split(':').map((d) => join(d, name)).find((p) => existsSync(p));
}

// The container stack, checked where no Docker daemon runs: compose.yaml validated by Debian's docker-compose with
// its variables filled, each service's command line run through `--check-config` exactly as the image would run it,
// and the Dockerfile's build context (every COPY source tracked by git and let through by .dockerignore).
// The Dockerfile's stages are replayed on this machine by test/reliability/dockerfile.test.ts.
import { describe, expect } from 'vitest';
import { cleanEnv, it, runCli, SECRET } from './support/index.js';
import { APT_DOCKER_COMPOSE, buildContext, composeConfig, composeServices, copySources, dockerfileStages, type ComposeService } from './support/container.js';
import { trackedFiles } from './support/package.js';

const VARS = { ETSY_WEBHOOK_SECRET: SECRET, FORWARD_TO: 'http://app.internal:3000/webhooks' };

function services(): Record<string, ComposeService> {
  const resolved = composeConfig(VARS);
  expect(resolved.stderr, `docker-compose config failed; if it is missing: ${APT_DOCKER_COMPOSE}`).toBe('');
  expect(resolved.code).toBe(0);
  return composeServices(resolved.yaml);
}

/** What the image runs for a service: ENTRYPOINT ["etsyhook"] + the service's command, in its environment. */
async function checkService(home: string, service: ComposeService, extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  const env = cleanEnv(home, { ...service.environment, ...extraEnv });
  return runCli([...service.command!, '--check-config'], { env });
}

describe('compose.yaml', () => {
  it('is valid for docker-compose with its variables filled, and names the variable a user left out', () => {
    const s = services();
    expect(Object.keys(s).sort()).toEqual(['redis', 'serve', 'worker']);
    // Redis keeps every write on disk before it answers, in a volume.
    expect(s.redis!.command).toEqual(['redis-server', '--appendonly', 'yes', '--appendfsync', 'always']);
    expect(s.redis!.volumes).toEqual(['redis-data:/data:rw']);
    for (const name of ['serve', 'worker']) expect(s[name]!.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    expect(s.serve!.environment!.ETSY_WEBHOOK_SECRET).toBe(SECRET);
    expect(s.serve!.ports).toEqual([expect.objectContaining({ target: 8080, published: 8080 })]);
    // Slim images have no curl: the healthcheck is Node's fetch on /health.
    expect(s.serve!.healthcheck!.test).toEqual(['CMD', 'node', '-e', expect.stringMatching(/^fetch\('http:\/\/127\.0\.0\.1:8080\/health'\)/)]);
    // A worker serves no HTTP, so the image's /health check is off for it; it takes FORWARD_TO; it has no fixed port
    // or name, so `--scale worker=3` works.
    expect(s.worker!.healthcheck).toEqual({ test: ['NONE'] });
    expect(s.worker!.command).toEqual(['worker', '--forward-to', VARS.FORWARD_TO]);
    expect(s.worker!.ports).toBeUndefined();
    expect(s.worker).not.toHaveProperty('container_name');

    const missing = composeConfig({ ETSY_WEBHOOK_SECRET: SECRET });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/FORWARD_TO/);
    const noSecret = composeConfig({ FORWARD_TO: VARS.FORWARD_TO });
    expect(noSecret.code).not.toBe(0);
    expect(noSecret.stderr).toMatch(/ETSY_WEBHOOK_SECRET/);
  });

  it("each service's command line passes --check-config as the image runs it; a bad value is exit 2 naming it", async ({ home }) => {
    const s = services();
    for (const name of ['serve', 'worker']) {
      const r = await checkService(home.dir, s[name]!);
      expect(r.stderr).toMatch(new RegExp(`^✔ ${name}: configuration OK, nothing started \\(.*queue redis:6379`, 'm'));
      expect(r.code).toBe(0);
    }
    // What --check-config catches: the secret missing, a FORWARD_TO that is no URL, a queue URL that is not Redis.
    const noSecret = await checkService(home.dir, { ...s.serve!, environment: { ETSYHOOK_QUEUE: 'redis://redis:6379' } });
    expect(noSecret).toMatchObject({ code: 2, stderr: expect.stringMatching(/serve needs the signing secret/) });
    const badTarget = await checkService(home.dir, { ...s.worker!, command: ['worker', '--forward-to', 'app.internal:3000'] });
    expect(badTarget).toMatchObject({ code: 2, stderr: expect.stringMatching(/--forward-to/) });
    const badQueue = await checkService(home.dir, s.worker!, { ETSYHOOK_QUEUE: 'http://redis:6379' });
    expect(badQueue.code).toBe(2);
    expect(badQueue.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('Dockerfile', () => {
  it('builds with dev dependencies and packs, then runs Node 20 slim with the tarball installed --omit=dev, as a non-root user', () => {
    const [build, run, ...more] = dockerfileStages();
    expect(more).toEqual([]);
    expect(build!.name).toBe('build');
    const runs = (stage: typeof build) => stage!.instructions.filter((c) => c.name === 'RUN').map((c) => String(c.args));
    expect(runs(build)).toContain('npm ci --ignore-scripts --no-audit --no-fund');
    expect(runs(build).some((r) => /npm pack/.test(r))).toBe(true);
    expect(run!.from).toBe('node:20-slim');
    expect(runs(run).some((r) => /npm install -g --omit=dev .*etsyhook-\*\.tgz/.test(r))).toBe(true);
    const user = run!.instructions.filter((c) => c.name === 'USER').map((c) => String(c.args));
    expect(user).toEqual(['node']);
    expect(run!.instructions.find((c) => c.name === 'ENTRYPOINT')!.args).toEqual(['etsyhook']);
  });

  it('copies only files git tracks, none of them kept out by .dockerignore, and leaves tests, bench and stores out', () => {
    const [build] = dockerfileStages();
    const tracked = trackedFiles();
    const context = buildContext();
    for (const src of copySources(build!)) {
      const inGit = tracked.filter((f) => f === src || f.startsWith(`${src}/`));
      expect(inGit.length, `COPY ${src}: not tracked by git`).toBeGreaterThan(0);
      expect(context.filter((f) => f === src || f.startsWith(`${src}/`)), `COPY ${src}: kept out by .dockerignore`).toEqual(inGit);
    }
    expect(context.filter((f) => /^(test|bench|docs|node_modules|dist)\//.test(f) || f.startsWith('.'))).toEqual([]);
  });
});

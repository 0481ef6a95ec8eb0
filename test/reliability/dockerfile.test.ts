// The Dockerfile's stages replayed on this machine (no Docker daemon here): each in a temporary root standing for the
// image's filesystem, its COPY from the build context as .dockerignore leaves it, its RUN lines through sh. Then the
// image's ENTRYPOINT, found on the run stage's PATH, runs compose's `serve` on a test Redis, and the HEALTHCHECK
// command (and compose's) asks it: healthy while it runs, unhealthy once it is gone.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { cleanEnv, it, newHome, post, SECRET, signed, startCli } from '../support/index.js';
import { redis, servePort } from '../support/redis.js';
import { composeConfig, composeServices, dockerfileStages, healthcheckCommand, onPath, replayStage, type Replayed } from '../support/container.js';
import { tempDir } from '../support/package.js';

/** Run a healthcheck's exec form (["CMD", …] or a HEALTHCHECK's array): its exit code. */
function runCheck(argv: string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  const [file, ...args] = argv[0] === 'CMD' ? argv.slice(1) : argv;
  return new Promise((resolve, reject) => {
    const child = spawn(file!, args, { env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

describe('the Dockerfile, replayed on the host', () => {
  it("builds and packs, installs the tarball --omit=dev, and its ENTRYPOINT runs compose's serve, healthy by its HEALTHCHECK", async ({ cleanups }) => {
    const [buildStage, runStage] = dockerfileStages();
    const home = newHome(cleanups);
    const base = cleanEnv(home.dir);
    const build = await replayStage(buildStage!, tempDir(cleanups, 'image-build'), {}, base);
    const run: Replayed = await replayStage(runStage!, tempDir(cleanups, 'image-run'), { build }, base);

    // Production dependencies only, no sources: what the run stage installed.
    const installed = join(run.root, 'usr', 'local', 'lib', 'node_modules', 'etsyhook');
    expect(existsSync(join(installed, 'dist', 'cli.js'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    for (const dev of ['typescript', 'vitest', 'esbuild']) expect(existsSync(join(installed, 'node_modules', dev)), dev).toBe(false);
    expect(existsSync(join(run.root, 'pkg'))).toBe(false);
    expect(run.env.NODE_ENV).toBe('production');

    // ENTRYPOINT ["etsyhook"], as the image's PATH finds it, with compose's serve command and environment; port 0 for
    // the test (a fixed 8080 may be taken here), read back and put in the healthcheck's URL.
    const entrypoint = runStage!.instructions.find((c) => c.name === 'ENTRYPOINT')!.args as string[];
    const bin = onPath(entrypoint[0]!, run.env.PATH!);
    expect(bin).toBe(join(run.root, 'usr', 'local', 'bin', 'etsyhook'));
    const compose = composeServices(composeConfig({ ETSY_WEBHOOK_SECRET: SECRET, FORWARD_TO: 'http://127.0.0.1:9/unused' }).yaml);
    const service = compose.serve!;
    const command = service.command!.map((a, i, all) => (all[i - 1] === '--port' ? '0' : a));
    expect(command).toEqual(['serve', '--port', '0']);
    const r = await redis(cleanups);
    const env = { ...run.env, ...service.environment, ETSYHOOK_QUEUE: r.url };
    const serve = await startCli(command, { command: [bin!, ...entrypoint.slice(1)], cwd: run.root, env, ready: /serve: listening/ });
    cleanups.push(() => serve.stop('SIGKILL'));
    const port = servePort(serve.stderr());
    expect((await post(`http://127.0.0.1:${port}/webhook`, signed())).status).toBe(200);

    const atPort = (argv: string[]): string[] => argv.map((a) => a.replace('127.0.0.1:8080', `127.0.0.1:${port}`));
    const imageCheck = atPort(healthcheckCommand(runStage!));
    const composeCheck = atPort(service.healthcheck!.test!);
    expect(imageCheck.join(' ')).toContain(`http://127.0.0.1:${port}/health`);
    expect(await runCheck(imageCheck, env)).toBe(0);
    expect(await runCheck(composeCheck, env)).toBe(0);
    // The check can fail: with serve gone, both say unhealthy.
    expect(await serve.stop('SIGTERM')).toBe(0);
    expect(await runCheck(imageCheck, env)).toBe(1);
    expect(await runCheck(composeCheck, env)).toBe(1);
  }, 420_000);
});

// Forwarding to an https app with a self-signed certificate: refused with a clear reason, delivered with --insecure.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { it, post, signed, startDev, waitFor, type Scope } from './support/index.js';

function selfSigned(cleanups: Scope): { key: Buffer; cert: Buffer } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'etsyhook-tls-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) };
}

describe('dev --forward-to https with a self-signed certificate', () => {
  it('fails with a TLS reason that names --insecure, and delivers with --insecure', async ({ cleanups, skip }) => {
    const tls = selfSigned(cleanups);
    if (!tls) return skip('openssl is not installed: cannot make a self-signed certificate for this test');
    const got: Buffer[] = [];
    const server = createServer(tls, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push(Buffer.concat(chunks));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }));
    const target = `https://127.0.0.1:${(server.address() as { port: number }).port}/hooks`;

    const strict = await startDev(cleanups, ['--forward-to', target, '--max-attempts', '1']);
    await post(strict.url, signed());
    await waitFor('the refused attempt', () => strict.store().deliveries.length === 1, 10_000);
    expect(strict.store().deliveries[0]!.error).toMatch(/TLS certificate rejected .*use --insecure/);
    expect(got).toHaveLength(0);

    const lax = await startDev(cleanups, ['--forward-to', target, '--insecure']);
    const ev = signed();
    await post(lax.url, ev);
    await waitFor('the delivery', () => lax.store().deliveries.length === 1, 10_000);
    expect(lax.store().deliveries[0]).toMatchObject({ httpStatus: 200, status: 'delivered' });
    expect(got[0]!.equals(ev.body)).toBe(true);
  });
});

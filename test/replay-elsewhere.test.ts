// A replay counts for an event only where its own deliveries go (its --forward-to, or a route's target): a replay
// anywhere else is recorded and shown with no route, changes no status, and the command says so; so `replay
// --failed` never re-sends an event that was delivered.
import { describe, expect } from 'vitest';
import { it, runCli, SECRET, send, unusedPort, waitFor, type Home } from './support/index.js';
import { recorder } from './support/recorder.js';

interface Listed {
  id: string;
  status: string;
  deliveries: { target: string; route: string | null; replay: boolean; status: string }[];
}

async function list(home: Home, args: string[] = []): Promise<Listed[]> {
  const r = await runCli(['events', 'list', '--json', ...args], { env: home.env });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Listed[];
}

async function sendOne(home: Home, url: string, type = 'order.paid'): Promise<void> {
  const r = await runCli(['send', type, '--to', url, '--secret', SECRET], { env: home.env });
  expect(r.code, r.stderr).toBe(0);
}

describe('replay elsewhere', () => {
  it('a failed replay to another place leaves a delivered event delivered, and replay --failed does not re-send it', async ({ cleanups, home, dev: startDev }) => {
    const app = await recorder(cleanups);
    const dev = await startDev(['--forward-to', app.url]);
    await sendOne(home, dev.url);
    const [ev] = await waitFor('delivered', async () => {
      const l = await list(home);
      return l[0]?.status === 'delivered' ? l : undefined;
    });
    const dead = `http://127.0.0.1:${await unusedPort()}/nowhere`;
    const replayed = await runCli(['replay', ev!.id, '--to', dead], { env: home.env });
    expect(replayed.code).toBe(1);
    expect(replayed.stderr).toMatch(/1 replay went elsewhere than its event's own deliveries: recorded \(events show lists it, with no route\), no status changed/);
    const after = await list(home);
    expect(after[0]).toMatchObject({ id: ev!.id, status: 'delivered' });
    expect(after[0]!.deliveries.at(-1)).toMatchObject({ target: dead, route: null, replay: true, status: 'failed' });
    expect(await list(home, ['--status', 'failed'])).toEqual([]);
    const again = await runCli(['replay', '--failed'], { env: home.env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/nothing to replay/);
    expect(app.requests).toHaveLength(1);
  });

  it("a replay to the event's own target counts; to anywhere else it does not, even when it is delivered", async ({ cleanups, home, dev: startDev }) => {
    let up = false;
    const app = await recorder(cleanups, { status: () => (up ? 200 : 500) });
    const elsewhere = await recorder(cleanups);
    const dev = await startDev(['--forward-to', app.url, '--max-attempts', '1']);
    await sendOne(home, dev.url);
    const [ev] = await waitFor('dead', async () => {
      const l = await list(home);
      return l[0]?.status === 'dead' ? l : undefined;
    });
    const other = await runCli(['replay', ev!.id, '--to', elsewhere.url], { env: home.env });
    expect(other.code, other.stderr).toBe(0);
    expect(other.stderr).toMatch(/went elsewhere/);
    expect((await list(home))[0]!.status).toBe('dead');
    up = true;
    const own = await runCli(['replay', ev!.id, '--to', app.url], { env: home.env });
    expect(own.code, own.stderr).toBe(0);
    expect(own.stderr).not.toMatch(/went elsewhere/);
    expect((await list(home))[0]!.status).toBe('delivered');
  });

  it("with routes, --to a route's target is an attempt on that route", async ({ cleanups, home, dev: startDev }) => {
    let up = false;
    const orders = await recorder(cleanups, { status: () => (up ? 200 : 500) });
    const dev = await startDev(['--route', `order.*=${orders.url}`, '--max-attempts', '1']);
    await sendOne(home, dev.url);
    const [ev] = await waitFor('dead', async () => {
      const l = await list(home);
      return l[0]?.status === 'dead' ? l : undefined;
    });
    up = true;
    const r = await runCli(['replay', ev!.id, '--to', orders.url], { env: home.env });
    expect(r.code, r.stderr).toBe(0);
    const after = (await list(home))[0]!;
    expect(after.status).toBe('delivered');
    expect(after.deliveries.at(-1)).toMatchObject({ route: `order.*=${orders.url}`, replay: true, status: 'delivered' });
  });

  it("the inspector's Replay box to another place: recorded, the event stays delivered, and the answer says so", async ({ cleanups, home, dev: startDev }) => {
    const app = await recorder(cleanups);
    const dev = await startDev(['--forward-to', app.url, '--inspect-port', '0']);
    const base = /Inspect\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(dev.stderr())![1]!;
    await sendOne(home, dev.url);
    const [ev] = await waitFor('delivered', async () => {
      const l = await list(home);
      return l[0]?.status === 'delivered' ? l : undefined;
    });
    const token = /name="etsyhook-token" content="([^"]+)"/.exec((await send(base, { method: 'GET' })).body)![1]!;
    const dead = `http://127.0.0.1:${await unusedPort()}/nowhere`;
    const replayed = await send(`${base}api/events/${ev!.id}/replay`, {
      headers: { 'content-type': 'application/json', 'x-etsyhook-token': token },
      body: JSON.stringify({ to: dead }),
    });
    expect(replayed.json()).toMatchObject({ delivered: false, recorded: true, elsewhere: true, target: dead });
    await waitFor('the attempt in the log', () => dev.store().deliveries.length === 2, 5_000);
    const listed = (await send(`${base}api/events`, { method: 'GET' })).json().events as { id: string; status: string }[];
    expect(listed).toEqual([expect.objectContaining({ id: ev!.id, status: 'delivered' })]);
    expect((await list(home, ['--status', 'failed']))).toEqual([]);
  });
});

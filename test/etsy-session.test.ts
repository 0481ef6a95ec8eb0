// The session interface other commands build on (dev --register, events show --expand), used in-process.
import { describe, expect } from 'vitest';
import { ConfigStore } from '../src/config.js';
import { ApiError, UsageError } from '../src/errors.js';
import { openEtsySession } from '../src/etsy/session.js';
import { cleanEnv } from './support/index.js';
import { it, readStoredConfig, storeLogin } from './support/fake-etsy.js';

describe('openEtsySession', () => {
  it('creates, lists and deletes push configurations; the shop comes from users/me', async ({ fake, ciEnv }) => {
    const env = ciEnv();
    const session = await openEtsySession({ env, config: new ConfigStore(env) });
    const shopId = await session.shopId();
    expect(shopId).toBe(fake.shopId);
    const created = await session.createPushConfiguration(shopId, { url: 'https://abc.ngrok.app/webhook', events: ['order.paid'] });
    expect(created).toMatchObject({ url: 'https://abc.ngrok.app/webhook', events: ['order.paid'] });
    expect((await session.listPushConfigurations(shopId)).map((c) => c.id)).toEqual([created.id]);
    await session.deletePushConfiguration(shopId, created.id);
    expect(await session.listPushConfigurations(shopId)).toEqual([]);
  });

  it('getJson rebases an api.etsy.com resource_url onto the API base, and takes /v3 paths', async ({ fake, ciEnv }) => {
    const env = ciEnv();
    const session = await openEtsySession({ env, config: new ConfigStore(env) });
    const receipt = await session.getJson(`https://api.etsy.com/v3/application/shops/${fake.shopId}/receipts/2912345678`);
    expect(receipt).toMatchObject({ receipt_id: 2912345678, shop_id: fake.shopId });
    expect(fake.hits(/\/receipts\/2912345678$/)).toHaveLength(1);
    expect(await session.getJson('/v3/application/users/me')).toEqual({ user_id: fake.userId, shop_id: fake.shopId });
    expect(await session.getJson(`${fake.apiBase}/application/users/me`)).toEqual({ user_id: fake.userId, shop_id: fake.shopId });
  });

  it('getJson never sends credentials to another host', async ({ ciEnv }) => {
    const env = ciEnv();
    const session = await openEtsySession({ env, config: new ConfigStore(env) });
    await expect(session.getJson('https://evil.example/v3/application/users/me')).rejects.toThrow(/refusing to send Etsy credentials to evil\.example/);
  });

  it('throws a UsageError naming the variable when not logged in', async ({ fake, home }) => {
    const env = cleanEnv(home.dir, { ETSY_API_BASE: fake.apiBase });
    await expect(openEtsySession({ env, config: new ConfigStore(env) })).rejects.toBeInstanceOf(UsageError);
    await expect(openEtsySession({ env, config: new ConfigStore(env) })).rejects.toThrow(/ETSY_API_KEY/);
  });

  it('flags beat the environment: apiKey/sharedSecret/accessToken/shop options win', async ({ fake, home }) => {
    const t = fake.issueTokens();
    const env = cleanEnv(home.dir, {
      ETSY_API_KEY: 'wrong',
      ETSY_SHARED_SECRET: 'wrong',
      ETSY_ACCESS_TOKEN: 'wrong.token',
      ETSY_SHOP_ID: '1',
    });
    const session = await openEtsySession({
      env,
      config: new ConfigStore(env),
      apiBase: fake.apiBase,
      apiKey: fake.keystring,
      sharedSecret: fake.sharedSecret,
      accessToken: t.accessToken,
      shop: String(fake.shopId),
    });
    expect(await session.shopId()).toBe(fake.shopId);
    expect(await session.listPushConfigurations(fake.shopId)).toEqual([]);
  });

  it('reports log lines with secrets masked and notices separately', async ({ fake, ciEnv }) => {
    const env = ciEnv();
    const lines: string[] = [];
    const notices: string[] = [];
    fake.failNext({ kind: '429', retryAfter: 0 });
    const session = await openEtsySession({ env, config: new ConfigStore(env), log: (l) => lines.push(l), onNotice: (l) => notices.push(l) });
    await session.shopId();
    expect(notices.join('\n')).toMatch(/rate limit/);
    expect(lines.join('\n')).toMatch(/→ GET .*users\/me/);
    expect(lines.join('\n')).not.toContain(fake.sharedSecret);
    expect(lines.join('\n')).not.toContain(env.ETSY_ACCESS_TOKEN!);
  });

  it('concurrent calls with an expired stored token share one refresh', async ({ fake, home }) => {
    const old = storeLogin(home.dir, fake, { expiresAt: new Date(Date.now() - 1000).toISOString() });
    fake.expire(old.accessToken);
    const env = cleanEnv(home.dir, { ETSY_API_BASE: fake.apiBase });
    const session = await openEtsySession({ env, config: new ConfigStore(env) });
    const shopId = await session.shopId();
    await Promise.all([session.listPushConfigurations(shopId), session.listPushConfigurations(shopId), session.getJson('/v3/application/users/me')]);
    expect(fake.counts.refreshes).toBe(1);
    expect(readStoredConfig(home.dir).accessToken).not.toBe(old.accessToken);
  });

  it('portal 404 is an ApiError with a plain one-line message', async ({ fake, ciEnv }) => {
    fake.portalOnly = 404;
    const env = ciEnv();
    const session = await openEtsySession({ env, config: new ConfigStore(env) });
    const err = await session.createPushConfiguration(fake.shopId, { url: 'https://x.example/h', events: ['order.paid'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(404);
    expect((err as ApiError).message).toMatch(/webhook portal/);
    expect((err as ApiError).message).not.toContain('\n');
  });
});

// Stores for the events, replay and tail tests, written with EventStore as the receiver would.
import { join } from 'node:path';
import { EventStore, logPath } from '../../src/core/log/store.js';
import { encodeBody, newEventId, type DeliveryRecord, type ReceivedRecord, type StoreRecord } from '../../src/core/log/records.js';
import { signatureHeaders } from '../../src/core/receive/signature.js';
import { SECRET } from './index.js';

export { SECRET };

export function eventsDir(home: string): string {
  return join(home, 'events');
}

export function logFile(home: string): string {
  return logPath(eventsDir(home));
}

let seq = 0;

/** A received request: an accepted, correctly signed order.paid by default, `minutesAgo` old. */
export function received(options: Partial<ReceivedRecord> & { bytes?: Buffer; minutesAgo?: number } = {}): ReceivedRecord {
  const { bytes, minutesAgo, ...over } = options;
  const type = over.type ?? 'order.paid';
  const body =
    bytes ?? Buffer.from(JSON.stringify({ event_type: type, resource_url: `https://api.etsy.com/v3/application/shops/12345678/receipts/${1000000000 + ++seq}`, shop_id: 12345678 }));
  const at = new Date(Date.now() - (minutesAgo ?? 1) * 60_000);
  const webhookId = over.webhookId ?? `msg_fixture${String(++seq).padStart(8, '0')}`;
  const signed = signatureHeaders('standard', SECRET, body, { id: webhookId, timestamp: Math.floor(at.getTime() / 1000) });
  return {
    kind: 'received',
    id: over.id ?? newEventId(),
    at: at.toISOString(),
    method: 'POST',
    path: '/webhook',
    headers: { host: '127.0.0.1:5000', 'content-type': 'application/json', 'user-agent': 'Etsy-Webhooks/1.0', 'content-length': String(body.length), ...signed },
    ...encodeBody(body),
    status: 'accepted',
    type,
    webhookId,
    scheme: 'standard',
    ...over,
  };
}

export function delivery(event: ReceivedRecord, options: Partial<DeliveryRecord> = {}): DeliveryRecord {
  const ok = options.status === undefined || options.status === 'delivered';
  return {
    kind: 'delivery',
    id: event.id,
    at: new Date(Date.parse(event.at) + 1000).toISOString(),
    target: 'http://127.0.0.1:3000/webhooks',
    attempt: 1,
    ...(ok ? { httpStatus: 200 } : { httpStatus: 500 }),
    ms: 7,
    status: 'delivered',
    ...options,
  };
}

export async function writeStore(home: string, records: readonly StoreRecord[]): Promise<void> {
  const store = await EventStore.open(eventsDir(home));
  for (const r of records) await store.append(r);
  await store.close();
}

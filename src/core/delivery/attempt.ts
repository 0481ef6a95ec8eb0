// One delivery attempt, from what a sender got back to the record every attempt is kept as: forwarding, replay and
// the worker build it here, the same way (target and route, attempt number, ms, outcome, HTTP status, error, and the
// target's answer: headers, the first 64 KiB of its body, whether there was more).
import type { DeliveryOutcome, DeliveryRecord, ReceivedRecord } from '../log/records.js';
import { isoNow } from '../log/records.js';

/** Keep at most this much of an answer's body: what a user debugging a 500 needs, without swallowing a huge one. */
export const RESPONSE_KEEP_BYTES = 64 * 1024;

export interface AnswerKept {
  /** Header names lower-case; repeated headers joined with ", " (absent for what a command said on stderr). */
  headers?: Record<string, string>;
  /** The body as UTF-8 text, at most RESPONSE_KEEP_BYTES of it. */
  body: string;
  /** The body was longer than what was kept. */
  truncated?: boolean;
}

export interface DeliveryResult {
  /** The target's HTTP status, when it answered. */
  status?: number;
  /** Time from sending to the end of the response (or the failure). */
  ms: number;
  /** Why there is no status: 'connection refused', 'timed out after 30000 ms' … (src/net-errors.ts) */
  error?: string;
  /** The app's answer, kept for `events show`: its headers and the first 64 KiB of its body. */
  response?: AnswerKept;
}

export interface AttemptResult extends DeliveryResult {
  /** Delivered? Default: a 2xx status. */
  ok?: boolean;
  /** Did the target answer at all (it is there, even if it failed)? Default: it gave a status. Else the breaker opens. */
  answered?: boolean;
}

/** Sends one attempt of an event somewhere other than byte-exact HTTP (routes: exec:, slack:, pushover:). */
export type SendAttempt = (event: ReceivedRecord, body: Buffer, attempt: number) => Promise<AttemptResult>;

/** Was the attempt delivered: what the target kind says, else a 2xx status. */
export function delivered(result: AttemptResult): boolean {
  return result.ok ?? (result.status !== undefined && result.status >= 200 && result.status < 300);
}

/** At most RESPONSE_KEEP_BYTES of the body, `truncated` when there was more (a command's output as an HTTP answer). */
export function keptAnswer(answer: AnswerKept): AnswerKept {
  const { truncated, ...rest } = answer;
  if (Buffer.byteLength(answer.body, 'utf8') > RESPONSE_KEEP_BYTES) {
    // Cut on bytes, then drop a character split in two.
    const body = Buffer.from(answer.body, 'utf8').subarray(0, RESPONSE_KEEP_BYTES).toString('utf8').replace(/\uFFFD$/, '');
    return { ...rest, body, truncated: true };
  }
  return truncated ? { ...rest, truncated } : rest;
}

export interface AttemptFacts {
  /** The event's store id. */
  id: string;
  /** Where it was sent, as records name it (secrets masked). */
  target: string;
  /** The route the attempt belongs to, when routes are in use. */
  route?: string | undefined;
  attempt: number;
  status: DeliveryOutcome;
  /** An attempt from `etsyhook replay` (or the inspector's replay). */
  replay?: boolean;
}

/** The record of one attempt. */
export function attemptRecord(facts: AttemptFacts, result: DeliveryResult): DeliveryRecord {
  const record: DeliveryRecord = {
    kind: 'delivery',
    id: facts.id,
    at: isoNow(),
    target: facts.target,
    ...(facts.route === undefined ? {} : { route: facts.route }),
    attempt: facts.attempt,
    status: facts.status,
    ms: result.ms,
    ...(facts.replay ? { replay: true } : {}),
  };
  if (result.status !== undefined) record.httpStatus = result.status;
  if (result.error !== undefined) record.error = result.error;
  if (result.response !== undefined) record.response = keptAnswer(result.response);
  return record;
}

/**
 * The handler descriptor: one Kafka API served by the broker, the versions it
 * serves, and a function from a decoded request to a response at the same
 * version. The dispatcher decodes, checks the version and encodes; handlers
 * never see the bytes of the frame or the socket.
 *
 * - `handle` returns the generated response type, a Promise of it, or
 *   NO_RESPONSE (null): nothing is sent, but the request keeps its place in the
 *   connection's order (Produce with acks=0).
 * - Protocol outcomes are not faults: domain code throws KafkaError(code,
 *   message); the handler turns it into the entry's error with errorEntry().
 *   errorEntry() also maps any other exception to UNKNOWN_SERVER_ERROR for that
 *   entry and logs its stack.
 * - An exception that escapes `handle` is a bug: the dispatcher logs its stack
 *   and answers with `errorResponse(request, version, UNKNOWN_SERVER_ERROR)` when
 *   the handler defines one, else closes the connection.
 */
import { ErrorCode, KafkaError } from '../wire/errors.js';
import type { BrokerContext } from './broker-context.js';
import type { Logger } from './logger.js';
import type { FrameLease } from './frame-pool.js';
import type { ResponseBuffers } from './response-buffers.js';

/** Returned by a handler that sends no response (acks=0 Produce). */
export const NO_RESPONSE = null;

// `any` defaults so the registry can hold handlers of every request type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Handler<Req = any, Res = any> {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
  /**
   * Method syntax on purpose: each handler declares the (narrower) context and request types it takes.
   * `frame`: the lease of a frame read into a pooled buffer (Produce's; see dispatcher.ts).
   * `reads`: where file reads for the response land, for a handler with `pooledReads` (Fetch's).
   */
  handle(ctx: BrokerContext, request: Req, version: number, frame?: FrameLease, reads?: ResponseBuffers): Res | null | Promise<Res | null>;
  /** The handler reads records into `reads` buffers, which go back to their pool once its response is written. */
  readonly pooledReads?: boolean;
  /** A response carrying `errorCode` everywhere an error fits (Kafka's getErrorResponse), for faults. */
  errorResponse?(request: Req, version: number, errorCode: number, message: string): Res;
}

/** Declares a handler with its request and response types checked. */
export function defineHandler<Req, Res>(h: Handler<Req, Res>): Handler<Req, Res> {
  return h;
}

/**
 * The error code and message for one response entry: a KafkaError gives its
 * own; anything else is a bug or an I/O fault, logged with its stack and
 * reported as UNKNOWN_SERVER_ERROR.
 */
export function errorEntry(ctx: { log: Logger }, err: unknown, what = 'request'): { errorCode: number; errorMessage: string } {
  if (err instanceof KafkaError) return { errorCode: err.code, errorMessage: err.message };
  ctx.log.error(`unexpected error handling ${what}: ${(err as Error)?.stack ?? String(err)}`);
  return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'The server experienced an unexpected error when processing the request.' };
}


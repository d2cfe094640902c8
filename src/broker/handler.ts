import type { BrokerContext } from './broker-context.js';

/**
 * One Kafka API served by the broker: the versions it serves and a function
 * from a decoded request to a response at the same version. Returning null
 * sends no response (Produce with acks=0). The dispatcher decodes, checks the
 * version and encodes; handlers never see bytes of the frame or the socket.
 */
export interface Handler {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
  // Method syntax on purpose: handlers declare the request type they take.
  handle(ctx: BrokerContext, request: any, version: number): unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
}

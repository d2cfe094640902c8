/**
 * ApiVersions (API 18), v0-v4.
 *
 * Behavior: lists exactly the API versions the registry serves (never the
 * spec's ranges), so clients never pick a version Samsa cannot answer. No
 * features are finalized. A request at a version we do not serve is answered
 * by the dispatcher with a v0 body carrying UNSUPPORTED_VERSION and this table.
 *
 * Version notes: v3+ is flexible and carries the client's software name and
 * version (logged at debug level); the response header is always v0 (KIP-511).
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { ApiVersionsRequest, ApiVersionsResponse } from '../../wire/generated/api-versions.js';
import type { BrokerContext } from '../broker-context.js';
import { supportedApiVersions } from './index.js';

export const apiVersions = {
  apiKey: ApiKey.ApiVersions,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx: BrokerContext, req: ApiVersionsRequest, version: number): ApiVersionsResponse {
    if (version >= 3 && req.clientSoftwareName) ctx.log.debug(`client ${ctx.clientId} is ${req.clientSoftwareName} ${req.clientSoftwareVersion}`);
    return { errorCode: 0, apiKeys: supportedApiVersions(), throttleTimeMs: 0 };
  },
};

/**
 * ApiVersions (API 18), v0-v4.
 *
 * Behavior: lists exactly the API versions the registry serves (never the
 * spec's ranges), so clients never pick a version Samsa cannot answer. No
 * features are supported or finalized (empty lists, finalized epoch -1). A
 * request at a version we do not serve never reaches this handler: the
 * dispatcher answers it with a v0 body carrying UNSUPPORTED_VERSION.
 *
 * Version notes: v3+ is flexible and carries the client's software name and
 * version (KIP-511); as in Kafka, a name or version that is not
 * [a-zA-Z0-9] optionally followed by [a-zA-Z0-9.-]* ending in [a-zA-Z0-9]
 * gets INVALID_REQUEST. They are logged at debug level. The response header
 * is always v0, even for the flexible versions.
 */
import { ApiKey } from '../../wire/generated/api-keys.js';
import type { ApiVersionsRequest, ApiVersionsResponse } from '../../wire/generated/api-versions.js';
import { ErrorCode } from '../../wire/errors.js';
import { defineHandler } from '../handler.js';
import { supportedApiVersions } from './index.js';

const SOFTWARE = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export const apiVersions = defineHandler<ApiVersionsRequest, ApiVersionsResponse>({
  apiKey: ApiKey.ApiVersions,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, req, version) {
    if (version >= 3) {
      if (!SOFTWARE.test(req.clientSoftwareName ?? '') || !SOFTWARE.test(req.clientSoftwareVersion ?? '')) {
        return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys: [], throttleTimeMs: 0 };
      }
      ctx.log.debug(`conn ${ctx.connectionId}: client ${ctx.clientId ?? '-'} is ${req.clientSoftwareName} ${req.clientSoftwareVersion}`);
    }
    return { errorCode: ErrorCode.NONE, apiKeys: supportedApiVersions(), throttleTimeMs: 0 };
  },
  errorResponse(_req, _version, errorCode) {
    return { errorCode, apiKeys: [], throttleTimeMs: 0 };
  },
});

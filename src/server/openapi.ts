/**
 * The OpenAPI 3.1 description of the /v1 API (served at GET /v1/openapi.json), written by hand from the routes in
 * api.ts; test/server/api.test.ts validates it with @apidevtools/swagger-parser.
 */
import { CELEBA_ATTRIBUTES } from '../attributes/names.js';
import { FACETALLY_VERSION } from '../version.js';
import type { ApiLimits } from './api.js';

const errorResponse = (description: string, retry = false) => ({
  description,
  ...(retry ? { headers: { 'Retry-After': { description: 'seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } } } } : {}),
  content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } },
});

/** The document, with the server's limits in the descriptions. */
export function openApiDocument(limits: ApiLimits): Record<string, unknown> {
  const attributeProps = Object.fromEntries(CELEBA_ATTRIBUTES.map((n) => [n, { type: 'number', minimum: 0, maximum: 1 }]));
  const decisionProps = Object.fromEntries(CELEBA_ATTRIBUTES.map((n) => [n, { type: 'boolean' }]));
  const nullableInt = { type: ['integer', 'null'], minimum: 0 };
  return {
    openapi: '3.1.0',
    info: {
      title: 'facetally',
      version: FACETALLY_VERSION,
      description:
        'Find faces in photos and predict the 40 CelebA attributes. POST a photo, get the record `facetally tag` writes. ' +
        'See docs/api.md for limits and the security model.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/' }],
    security: [{}, { bearer: [] }],
    paths: {
      '/v1/tag': {
        post: {
          operationId: 'tag',
          summary: 'Tag photos: faces, landmarks and the 40 attribute probabilities and decisions',
          description:
            `Send one photo as the raw body (image/* or application/octet-stream) to get its record, or up to ${limits.maxFiles} photos as multipart/form-data ` +
            `(any field names) to get {"records": [...]} in the order sent. Body at most ${limits.maxBodyBytes} bytes. A raw photo that cannot be read is ` +
            'answered with the status of its error code (400, 413, 415, 500) and {"error", "record"}; in a multipart request each record carries its own error.',
          requestBody: {
            required: true,
            content: {
              'image/*': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } },
              'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } },
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  properties: { file: { type: 'array', items: { type: 'string', contentMediaType: 'application/octet-stream' } } },
                },
              },
            },
          },
          responses: {
            '200': {
              description: 'The record (raw body) or the records (multipart), as `facetally tag` writes them',
              content: {
                'application/json': {
                  schema: { oneOf: [{ $ref: '#/components/schemas/Record' }, { $ref: '#/components/schemas/Records' }] },
                },
              },
            },
            '400': errorResponse('Bad input: empty body, malformed multipart, no file, or a photo that is empty or corrupt (code empty_file, corrupt_image, bad_request)'),
            '401': errorResponse('Missing or wrong bearer token (when the server has one)'),
            '408': { description: `The body was not received within ${limits.timeoutMs / 1000} s (sent by Node's HTTP server; the connection is closed)` },
            '413': errorResponse('Body over the size limit (body_too_large), too many files (too_many_files), or a photo over the pixel limit (too_many_pixels)'),
            '415': errorResponse('Content-Type not accepted (unsupported_media_type) or not an image format facetally reads (unsupported_format)'),
            '429': errorResponse(`Already ${limits.maxRequests} requests in progress (too_many_requests)`, true),
            '500': errorResponse('Internal error while tagging (internal_error)'),
            '503': errorResponse(`Photo queue full (queue_full, ${limits.maxQueue} photos) or not tagged within ${limits.timeoutMs / 1000} s (timeout)`, true),
          },
        },
      },
      '/v1/health': {
        get: {
          operationId: 'health',
          summary: 'Liveness, load and limits',
          responses: { '200': { description: 'The server is up', content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } } }, '401': errorResponse('Missing or wrong bearer token') },
        },
      },
      '/v1/model': {
        get: {
          operationId: 'model',
          summary: 'The attribute model, its hashes, thresholds and the server settings that change results',
          responses: { '200': { description: 'Model description', content: { 'application/json': { schema: { $ref: '#/components/schemas/Model' } } } }, '401': errorResponse('Missing or wrong bearer token') },
        },
      },
      '/v1/openapi.json': {
        get: {
          operationId: 'openapi',
          summary: 'This document',
          responses: { '200': { description: 'OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } }, '401': errorResponse('Missing or wrong bearer token') },
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Needed when the server was started with --token or FACETALLY_TOKEN' } },
      schemas: {
        ErrorResponse: {
          type: 'object',
          required: ['error'],
          properties: {
            error: { $ref: '#/components/schemas/Error' },
            record: { $ref: '#/components/schemas/Record' },
          },
        },
        Error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
        Box: { type: 'object', required: ['x', 'y', 'width', 'height'], properties: { x: { type: 'number' }, y: { type: 'number' }, width: { type: 'number' }, height: { type: 'number' } } },
        Face: {
          type: 'object',
          required: ['box', 'score', 'landmarks', 'attributes', 'decisions'],
          properties: {
            box: { $ref: '#/components/schemas/Box' },
            score: { type: 'number', minimum: 0, maximum: 1 },
            landmarks: {
              description: 'right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion (the subject\'s right), pixels of the oriented photo',
              type: 'array',
              minItems: 6,
              maxItems: 6,
              items: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'number' } },
            },
            attributes: { type: 'object', properties: attributeProps, additionalProperties: { type: 'number' } },
            decisions: { type: 'object', properties: decisionProps, additionalProperties: { type: 'boolean' } },
          },
        },
        Provenance: {
          type: 'object',
          required: ['facetally', 'model', 'model_sha256', 'thresholds_sha256', 'detector_sha256', 'settings'],
          properties: {
            facetally: { type: 'string' },
            model: { type: 'string' },
            model_sha256: { type: 'string', pattern: '^[0-9a-f]{16}$' },
            thresholds_sha256: { type: 'string', pattern: '^[0-9a-f]{16}$' },
            detector_sha256: { type: 'string', pattern: '^[0-9a-f]{16}$' },
            settings: { type: 'object', additionalProperties: { type: ['number', 'string', 'boolean', 'null'] } },
          },
        },
        Record: {
          type: 'object',
          required: ['path', 'sha256', 'duplicate_of', 'width', 'height', 'faces', 'error', 'provenance'],
          properties: {
            path: { type: 'string', description: 'the uploaded file name, or "upload" for a raw body' },
            sha256: { type: ['string', 'null'], description: 'SHA-256 of the bytes, hex' },
            duplicate_of: { type: ['string', 'null'], description: 'the first file of the same request with identical bytes' },
            width: nullableInt,
            height: nullableInt,
            faces: { type: 'array', items: { $ref: '#/components/schemas/Face' } },
            error: { oneOf: [{ type: 'null' }, { $ref: '#/components/schemas/Error' }] },
            provenance: { $ref: '#/components/schemas/Provenance' },
          },
        },
        Records: { type: 'object', required: ['records'], properties: { records: { type: 'array', items: { $ref: '#/components/schemas/Record' } } } },
        Health: {
          type: 'object',
          required: ['status', 'version'],
          properties: {
            status: { type: 'string', enum: ['ok'] },
            version: { type: 'string' },
            requests_in_progress: { type: 'integer' },
            photos_queued: { type: 'integer' },
            requests_answered: { type: 'integer' },
            photos_tagged: { type: 'integer' },
            requests_rejected: { type: 'integer' },
            limits: { type: 'object', additionalProperties: { type: 'number' } },
          },
        },
        Model: {
          type: 'object',
          required: ['name', 'model_sha256', 'attributes', 'thresholds'],
          properties: {
            name: { type: 'string' },
            model_sha256: { type: 'string' },
            thresholds_sha256: { type: 'string' },
            detector_sha256: { type: 'string' },
            facetally: { type: 'string' },
            settings: { type: 'object', additionalProperties: { type: ['number', 'string', 'boolean', 'null'] } },
            attributes: { type: 'array', items: { type: 'string' } },
            thresholds: { type: 'object', additionalProperties: { type: 'number', minimum: 0, maximum: 1 } },
            validation: { type: 'object', properties: { split: { type: 'string' }, n: { type: 'integer' } } },
          },
        },
      },
    },
  };
}

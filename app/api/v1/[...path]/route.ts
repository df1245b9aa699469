import { unknownEndpoint } from "@/lib/api/unsupported";

/** Any /api/v1 path that is not an endpoint: 404 problem+json for every method (lib/api/unsupported.ts). */
export const GET = unknownEndpoint;
export const POST = unknownEndpoint;
export const PUT = unknownEndpoint;
export const PATCH = unknownEndpoint;
export const DELETE = unknownEndpoint;

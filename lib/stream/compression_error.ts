/**
 * The error of a compressed stream that cannot be decoded, apart from the
 * codec: a receiver catches it without loading npm:lz4js (some 5 MiB
 * resident) before a child asks for compression.
 *
 * @module
 */

/** A compressed stream that cannot be decoded. */
export class CompressionError extends Error {}

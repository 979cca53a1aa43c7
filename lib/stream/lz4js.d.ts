// Types for the parts of npm:lz4js@0.2.0 that skiff uses (the package has none).

/**
 * Decodes one LZ4 block `src[sIndex, sIndex + sLength)` into `dst` from
 * `dIndex`; matches may reach back into `dst` before `dIndex` (a streaming
 * dictionary). Returns the index after the last byte written.
 */
export function decompressBlock(
  src: Uint8Array,
  dst: Uint8Array,
  sIndex: number,
  sLength: number,
  dIndex: number,
): number;

/**
 * Encodes `src[sIndex, sIndex + sLength)` as one LZ4 block into `dst` from
 * index 0; `hashTable` (65536 entries, position + 1, 0 for none) may hold
 * positions before `sIndex`, which matches then reach back to. Returns the
 * block's size, 0 when nothing was encoded.
 */
export function compressBlock(
  src: Uint8Array,
  dst: Uint8Array,
  sIndex: number,
  sLength: number,
  hashTable: Uint32Array,
): number;

/** The most an LZ4 block of `n` bytes can take. */
export function compressBound(n: number): number;

/**
 * Stream compression as netdata 1.37 frames it (streaming/compression.c):
 * the text stream is cut into messages of at most 16384 bytes, each
 * compressed as one LZ4 block with the previous 64 KiB of the stream as its
 * dictionary (LZ4's streaming mode), and sent after a 4-byte header: 0xFA,
 * the block's size in two 7-bit halves each with the high bit set, '\n'.
 * Only the child -> parent direction is compressed. The LZ4 block codec is
 * npm:lz4js; this file only frames and keeps the dictionary window.
 *
 * @module
 */

// @ts-types="./lz4js.d.ts"
import { compressBlock, compressBound, decompressBlock } from "lz4js";
import { CompressionError } from "./compression_error.ts";

export { CompressionError };

/** netdata's COMPRESSION_MAX_MSG_SIZE: the most text in one block. */
export const MAX_MESSAGE_BYTES = 0x4000;
/** The header before each block. */
export const SIGNATURE_SIZE = 4;
/** How far back an LZ4 match may reach. */
const HISTORY_BYTES = 65536;
const SIGNATURE_FIRST = 0x7a | 0x80; // 'z' | 0x80
const SIGNATURE_LAST = 0x0a; // '\n'

/** The header of a block of `size` compressed bytes (size < 16384). */
export function frameHeader(size: number): Uint8Array {
  return Uint8Array.of(
    SIGNATURE_FIRST,
    (size & 0x7f) | 0x80,
    ((size >> 7) & 0x7f) | 0x80,
    SIGNATURE_LAST,
  );
}

/** The block size a header announces, or -1 when it is not a header. */
export function parseFrameHeader(h: Uint8Array, at = 0): number {
  if (
    h[at] !== SIGNATURE_FIRST || !(h[at + 1] & 0x80) || !(h[at + 2] & 0x80) ||
    h[at + 3] !== SIGNATURE_LAST
  ) return -1;
  return (h[at + 1] & 0x7f) | ((h[at + 2] & 0x7f) << 7);
}

/**
 * The child's side: text in, frames out. Messages are cut at the last
 * newline within 16384 bytes (a 1.37 sender does so unless BINARY is
 * granted), so a peer that decodes block by block always has whole lines.
 */
export class StreamCompressor {
  /** The stream so far, its last 64 KiB kept as the dictionary. */
  readonly #window = new Uint8Array(2 * HISTORY_BYTES + MAX_MESSAGE_BYTES);
  /**
   * Where the next message goes. Position 0 is never stream data before the
   * first slide, so lz4js (which treats a block it could not shorten from
   * index 0 as "nothing encoded") always encodes.
   */
  #pos = 1;
  readonly #hash = new Uint32Array(65536);
  readonly #out = new Uint8Array(
    SIGNATURE_SIZE + compressBound(MAX_MESSAGE_BYTES),
  );
  /** Text bytes in, frame bytes out, blocks: since creation. */
  textBytes = 0;
  wireBytes = 0;
  blocks = 0;

  /** The frames for `text` (any length; cut into messages). */
  compress(text: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let off = 0;
    while (off < text.length) {
      let n = Math.min(text.length - off, MAX_MESSAGE_BYTES);
      if (off + n < text.length) {
        const nl = text.subarray(off, off + n).lastIndexOf(0x0a);
        if (nl > 0) n = nl + 1;
      }
      frames.push(this.#block(text.subarray(off, off + n)));
      off += n;
    }
    return frames;
  }

  #block(message: Uint8Array): Uint8Array {
    if (this.#pos + message.length > this.#window.length) this.#slide();
    this.#window.set(message, this.#pos);
    const size = compressBlock(
      this.#window,
      this.#out.subarray(SIGNATURE_SIZE),
      this.#pos,
      message.length,
      this.#hash,
    );
    this.#pos += message.length;
    this.#out.set(frameHeader(size), 0);
    const frame = this.#out.slice(0, SIGNATURE_SIZE + size);
    this.textBytes += message.length;
    this.wireBytes += frame.length;
    this.blocks++;
    return frame;
  }

  /** Keeps the last 64 KiB at the start, and the positions hashed in it. */
  #slide(): void {
    const shift = this.#pos - HISTORY_BYTES;
    this.#window.copyWithin(0, shift, this.#pos);
    this.#pos = HISTORY_BYTES;
    const h = this.#hash;
    for (let i = 0; i < h.length; i++) h[i] = h[i] > shift ? h[i] - shift : 0;
  }
}

/**
 * The parent's side: bytes as they arrive (any split), text out. Four
 * bytes that are not a header are text, as a 1.37 receiver takes them
 * ("multiplexed uncompressed data").
 */
export class StreamDecompressor {
  /** Decoded stream: the last 64 KiB, then room for one message. */
  readonly #out = new Uint8Array(4 * HISTORY_BYTES);
  #outLen = 0;
  /** A header or block being received. */
  readonly #pending = new Uint8Array(SIGNATURE_SIZE + MAX_MESSAGE_BYTES);
  #pendingLen = 0;
  /** The size of the block being received; -1 while reading a header. */
  #blockSize = -1;
  /** Wire bytes in, text bytes out, blocks: since creation. */
  wireBytes = 0;
  textBytes = 0;
  blocks = 0;

  /** The text in `bytes`, in order; throws {@link CompressionError}. */
  push(bytes: Uint8Array): Uint8Array[] {
    this.wireBytes += bytes.length;
    const text: Uint8Array[] = [];
    let off = 0;
    while (off < bytes.length) {
      const want = this.#blockSize < 0 ? SIGNATURE_SIZE : this.#blockSize;
      const take = Math.min(want - this.#pendingLen, bytes.length - off);
      this.#pending.set(bytes.subarray(off, off + take), this.#pendingLen);
      this.#pendingLen += take;
      off += take;
      if (this.#pendingLen < want) break;
      this.#pendingLen = 0;
      if (this.#blockSize < 0) {
        const size = parseFrameHeader(this.#pending);
        if (size < 0) {
          const plain = this.#pending.slice(0, SIGNATURE_SIZE);
          this.textBytes += plain.length;
          text.push(plain);
        } else if (size === 0) {
          throw new CompressionError("a compressed block of 0 bytes");
        } else this.#blockSize = size;
        continue;
      }
      text.push(this.#decode(this.#blockSize));
      this.#blockSize = -1;
    }
    return text;
  }

  #decode(size: number): Uint8Array {
    if (this.#outLen + MAX_MESSAGE_BYTES > this.#out.length) {
      this.#out.copyWithin(0, this.#outLen - HISTORY_BYTES, this.#outLen);
      this.#outLen = HISTORY_BYTES;
    }
    const start = this.#outLen;
    const end = decompressBlock(this.#pending, this.#out, 0, size, start);
    if (end - start > MAX_MESSAGE_BYTES) {
      throw new CompressionError(
        `a compressed block decodes to ${
          end - start
        } bytes, over the ${MAX_MESSAGE_BYTES} a message may hold`,
      );
    }
    this.#outLen = end;
    this.textBytes += end - start;
    this.blocks++;
    return this.#out.slice(start, end);
  }
}

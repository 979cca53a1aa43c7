/**
 * The arena every ring keeps its compressed pages (and its table of them)
 * in: chunks of {@link CHUNK_BYTES}, handed out in units of
 * {@link UNIT_BYTES}, a free list for each size. A freed block is reused
 * by the next block of its size before a chunk is carved further.
 *
 * Why not a buffer a ring: 10,000 rings growing page by page in step
 * fragment the allocator's heap (a buffer a page grew it to 82 MiB in an
 * hour), and a buffer reserved ahead for every page (the previous design)
 * holds a quarter more than the pages need, all of it written by the end of
 * the hour. Here a page costs its bytes rounded up to 16; a chunk is mapped
 * by the system as it is written, so memory grows with what is stored.
 *
 * netdata 1.37's ram mode maps its 4-byte slots per dimension at start.
 *
 * Blocks are not merged when freed: in a ring the page freed (written
 * again on the next lap) and the page stored are of one series, so sizes
 * come back in the same mix; a chunk is never given back to the system.
 *
 * @module
 */

/** Bytes in a chunk; a block larger than this gets a chunk of its own. */
export const CHUNK_BYTES = 1 << 20;
/** Blocks are whole units of this many bytes (and start on one). */
export const UNIT_BYTES = 16;
const UNIT_SHIFT = 4;
/** A block's address: `chunk * 2 ** CHUNK_UNIT_BITS + unit` (a u32). */
const CHUNK_UNIT_BITS = 16; // CHUNK_BYTES / UNIT_BYTES units a chunk
const UNIT_MASK = (1 << CHUNK_UNIT_BITS) - 1;

/** The chunks, as bytes and as 32-bit words (the same memory). */
export const chunkBytes: Uint8Array[] = [];
export const chunkWords: Uint32Array[] = [];
/** Free blocks by size in units. */
const freeBlocks: number[][] = [];
/** The chunk being carved, and its next free unit. */
let carving = -1;
let carvedUnits = 0;
let carvingUnits = 0;
let freeUnits = 0;
let totalUnits = 0;

/** Units a block of `bytes` takes. */
export function unitsFor(bytes: number): number {
  return (bytes + UNIT_BYTES - 1) >>> UNIT_SHIFT;
}

/** The chunk of block `address`. */
export function chunkOf(address: number): number {
  return address >>> CHUNK_UNIT_BITS;
}

/** Where block `address` starts in its chunk, in bytes. */
export function byteOffset(address: number): number {
  return (address & UNIT_MASK) << UNIT_SHIFT;
}

function newChunk(units: number): number {
  const n = chunkBytes.length;
  if (n >= 2 ** (32 - CHUNK_UNIT_BITS)) {
    throw new RangeError(`storage arena: more than ${n} chunks`);
  }
  const bytes = new Uint8Array(units * UNIT_BYTES);
  chunkBytes.push(bytes);
  chunkWords.push(new Uint32Array(bytes.buffer));
  totalUnits += units;
  return n;
}

/**
 * A block of at least `bytes` bytes (zeroed only when newly carved): its
 * address, never 0 (0 means "no block" to the rings).
 */
export function allocate(bytes: number): number {
  const units = unitsFor(bytes);
  const free = freeBlocks[units]?.pop();
  if (free !== undefined) {
    freeUnits -= units;
    return free;
  }
  const chunkUnits = CHUNK_BYTES >>> UNIT_SHIFT;
  if (units > chunkUnits && carving >= 0) {
    // a block of its own (a page table of a history of over 2 million
    // slots): given back to the free list of its size like the others.
    // Never chunk 0, so never address 0: chunk 0 is carved first.
    return newChunk(units) * (1 << CHUNK_UNIT_BITS);
  }
  if (carving < 0 || carvedUnits + units > carvingUnits) {
    if (carving >= 0 && carvedUnits < carvingUnits) {
      // the chunk's tail: a free block of its size, not lost
      const tail = carvingUnits - carvedUnits;
      release(
        carving * (1 << CHUNK_UNIT_BITS) + carvedUnits,
        tail * UNIT_BYTES,
      );
    }
    carving = newChunk(chunkUnits);
    // unit 0 of chunk 0 would be address 0: skipped
    carvedUnits = carving === 0 ? 1 : 0;
    carvingUnits = chunkUnits;
    if (units > chunkUnits) return allocate(bytes);
  }
  const address = carving * (1 << CHUNK_UNIT_BITS) + carvedUnits;
  carvedUnits += units;
  return address;
}

/** Gives back block `address` of `bytes` (as asked of {@link allocate}). */
export function release(address: number, bytes: number): void {
  const units = unitsFor(bytes);
  (freeBlocks[units] ??= []).push(address);
  freeUnits += units;
}

/** Bytes the arena holds: carved from the system, and free in it. */
export function arenaBytes(): { total: number; free: number; chunks: number } {
  const uncarved = carving < 0 ? 0 : carvingUnits - carvedUnits;
  return {
    total: totalUnits * UNIT_BYTES,
    free: (freeUnits + uncarved) * UNIT_BYTES,
    chunks: chunkBytes.length,
  };
}

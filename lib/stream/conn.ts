/**
 * Writing to a stream connection, shared by the receiver and the sender.
 *
 * @module
 */

/** Writes every byte, across short writes; throws what the socket throws. */
export async function writeAll(
  conn: Deno.Conn,
  bytes: Uint8Array,
): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

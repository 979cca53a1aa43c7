/**
 * Streaming between hosts, netdata 1.37's protocol: the receiver (a parent
 * that children stream into), the sender (this host, or received ones, to a
 * parent), and what both negotiate: capabilities, LZ4 compression,
 * replication.
 *
 * @module
 */
export { StreamReceiver } from "./receiver.ts";
export type {
  ChildStatus,
  ReceiverOptions,
  ReceiverStats,
} from "./receiver.ts";
export { StreamSender } from "./sender.ts";
export type { SenderStats, StreamDialer } from "./sender.ts";
export {
  CAP,
  capabilityList,
  guidFromName,
  OUR_CAPABILITIES,
} from "./handshake.ts";
// compression.ts is not re-exported: it loads npm:lz4js (some 5 MiB
// resident), which sender and receiver import only once a peer grants
// compression; import it from "./compression.ts" directly.
export { ReplayReceiver, replayResponse } from "./replication.ts";

/**
 * The plugins.d / streaming text protocol: bytes -> lines
 * ({@link LineSplitter}), a line -> one typed call ({@link ProtocolParser}),
 * and the calls applied to one host in storage ({@link HostWriter}). Used by
 * the plugins.d runner (lib/collect) and by streaming (lib/stream).
 *
 * @module
 */
export { chartName, HostWriter } from "./apply.ts";
export type { HostWriterOptions, WriterLimits } from "./apply.ts";
export { LineSplitter } from "./lines.ts";
export type { LineSink } from "./lines.ts";
export {
  parseCollectedNumber,
  ProtocolError,
  ProtocolParser,
} from "./parser.ts";
export type {
  ChartCommand,
  DimensionCommand,
  ProtocolHandler,
} from "./parser.ts";
export { isSpace, MAX_WORDS, splitWords } from "./words.ts";

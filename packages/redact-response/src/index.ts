export * from "./redact-response";
export type { RedactResponseOptions } from "./options";
export * from "./redaction-path";
export * from "./redaction-rules";
export * from "./apply-redaction";
export * from "./decide-redaction";
export * from "./cache-control";
export { findHiddenWrites } from "./hidden-writes";

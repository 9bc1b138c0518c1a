export { redactResponse } from "./redact-response";
export type { RedactResponseOptions } from "./options";
export type { RedactionRule } from "./redaction-rules";

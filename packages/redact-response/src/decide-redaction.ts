import type { RedactionOutcome } from "./apply-redaction";

/** What to do with a response once its redaction is known. */
export type RedactionDecision =
  | {
      readonly action: "send";
      /** The share of the body redacted, from 0 to 1 (see {@link redactedShare}). */
      readonly share: number;
      /** The paths of the rules that redacted something, once each, in rule order. */
      readonly fields: readonly string[];
    }
  | {
      readonly action: "refuse";
      readonly share: number;
      /** The scopes of the rules that redacted something, once each, in rule order. */
      readonly missingScopes: readonly string[];
    };

/** How big the response is, in UTF-16 code units of JSON text. */
export interface RedactionSizes {
  /** The length of the serialized redacted body: the text that would be sent. */
  readonly sentSize: number;
  /** The length of `JSON.stringify(marker)`, or 0 when redacted fields are removed. */
  readonly markerSize: number;
}

/**
 * The share of a body that redaction takes away: `redacted / (redacted + kept)`, where
 * `redacted` is the serialized length of the values removed (`JSON.stringify(value).length`,
 * summed) and `kept` the serialized length of what is left (the body that would be sent, less
 * the markers put in their place).
 *
 * Why serialized length: it is what the client would have read, and it weighs a 10,000-row
 * `training_data` above a one-word `owner.email` the way the Clarifai wording ("a large portion
 * of the response") does, where counting fields would weigh them alike. Why it costs nothing
 * extra: `redacted` sizes only the values being taken away, and `kept` is the length of the text
 * that `res.json` must produce anyway to send the response; the whole body is never serialized
 * twice. Field names and separators of removed fields count as kept, so the share slightly
 * understates large removals from tiny objects; and `json spaces` (pretty printing) pads the
 * kept text only.
 *
 * @example
 * redactedShare(300, 100); // 0.75
 */
export function redactedShare(redactedSize: number, keptSize: number): number {
  const total = redactedSize + keptSize;
  return total > 0 ? redactedSize / total : 0;
}

/**
 * Redact or refuse: a response whose redacted share (see {@link redactedShare}) is above
 * `threshold` is refused as a whole, as Clarifai does "if a large portion of the response
 * requires a scope that is missing"; at or below it, it is sent redacted. A threshold of 1 never
 * refuses.
 *
 * @example
 * decideRedaction(outcome, { sentSize: serialized.length, markerSize: 0 }, 0.5);
 * // { action: "refuse", share: 0.8, missingScopes: ["admin"] }
 */
export function decideRedaction(
  outcome: Pick<RedactionOutcome, "redacted" | "count" | "redactedSize">,
  sizes: RedactionSizes,
  threshold: number,
): RedactionDecision {
  const kept = Math.max(0, sizes.sentSize - outcome.count * sizes.markerSize);
  const share = redactedShare(outcome.redactedSize, kept);
  if (share > threshold) {
    return { action: "refuse", share, missingScopes: unique(outcome.redacted.map((rule) => rule.scope)) };
  }
  return { action: "send", share, fields: unique(outcome.redacted.map((rule) => rule.path)) };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

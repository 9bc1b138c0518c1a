import { checked, wholeNumber } from "@portcullis/core/internal";
import { z } from "zod";

/** What every provider is configured with. */
export interface ProviderBasics {
  /** The id in routes and linked identities (`"acme"`): 1 to 32 letters, digits, `-` or `_`. */
  readonly id: string;
  /** What the sign-in button says. */
  readonly name: string;
  /** The client id the provider issued to this app. */
  readonly clientId: string;
  /** The client secret the provider issued to this app; from your secret manager, never in code. */
  readonly clientSecret: string;
  /**
   * How long one call to the provider may take, in milliseconds, before the sign-in ends with 503
   * `provider_unavailable`.
   * @default 10000
   */
  readonly timeoutMs?: number;
}

const ID = /^[A-Za-z0-9_-]{1,32}$/;
const text = (rule: string) => z.string({ error: rule }).min(1, { error: rule });

/** The basics' schema, which each provider's options extend. */
export function providerBasicsShape(defaults: { readonly id?: string; readonly name?: string } = {}) {
  const id = checked((value): value is string => typeof value === "string" && ID.test(value), "must be 1 to 32 letters, digits, - or _");
  const name = text("is required: what the sign-in button says").max(100);
  return {
    id: defaults.id === undefined ? id : id.default(defaults.id),
    name: defaults.name === undefined ? name : name.default(defaults.name),
    clientId: text("is required: the client id the provider issued"),
    clientSecret: text("is required: the client secret the provider issued"),
    timeoutMs: wholeNumber(100, 60_000, "milliseconds").default(10_000),
  };
}

/** Request parameters: names and values are strings. */
export const stringRecord = z.record(z.string(), z.string(), { error: "must be an object of string values" });

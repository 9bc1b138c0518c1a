import type { Exchange } from "./soak-http";

/**
 * How an API key's life ended, as the driver saw it: when the call left and when its answer came
 * back. A rotation with a grace period also carries the old key's new expiry, as the answer gave it.
 */
export type KeyEnding =
  | { readonly how: "revoke" | "rotate"; readonly managedOn: number; readonly sentAt: number; receivedAt?: number; failed?: boolean }
  | {
      readonly how: "grace";
      readonly managedOn: number;
      readonly sentAt: number;
      readonly graceMs: number;
      receivedAt?: number;
      /** The old key's `expires_at` from the rotation's answer. */
      expiresAt?: number;
      failed?: boolean;
    };

/** An API key the soak created (or rotated in), and how its life ended, if it did. */
export interface KeyLife {
  readonly id: string;
  readonly key: string;
  /** When the answer that carried the key arrived: from then on it must work. */
  readonly availableAt: number;
  ending?: KeyEnding;
}

/** A login the soak made, and its logout, if any. */
export interface SessionLife {
  readonly userId: string;
  /** The session cookie, `name=value`. */
  readonly cookie: string;
  readonly availableAt: number;
  logout?: { readonly sentAt: number; receivedAt?: number; failed?: boolean };
}

/** Steady traffic, the checks right after a key is made, and the probes around an invalidation. */
export type KeyCallKind = "steady" | "check" | "probe";
/** A request on a session that should be live, or one after its logout answered. */
export type SessionCallKind = "live" | "after logout";
export type ManageKind = "create" | "rotate" | "rotate with grace" | "revoke" | "login" | "logout";

export interface KeyCall {
  readonly kind: KeyCallKind;
  readonly key: KeyLife;
  readonly exchange: Exchange;
}

export interface SessionCall {
  readonly kind: SessionCallKind;
  readonly session: SessionLife;
  /** GET /api/auth/me answers with the user, so a session that changed hands shows. */
  readonly path: string;
  readonly exchange: Exchange;
}

export interface ManageCall {
  readonly kind: ManageKind;
  readonly exchange: Exchange;
  /** Whether it was answered as it should have been (201 for a create, 204 for a revoke, …). */
  readonly ok: boolean;
}

/** Everything the soak sent, kept for judging once the run is over (a few tens of thousands). */
export class Ledger {
  readonly keyCalls: KeyCall[] = [];
  readonly sessionCalls: SessionCall[] = [];
  readonly manageCalls: ManageCall[] = [];
  readonly keys: KeyLife[] = [];
}

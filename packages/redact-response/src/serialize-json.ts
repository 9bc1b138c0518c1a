import type { Application } from "express";

const ESCAPES: Readonly<Record<string, string>> = { "<": "\\u003c", ">": "\\u003e", "&": "\\u0026" };

/**
 * Serializes a body as `res.json` does, with the app's `json replacer`, `json spaces` and
 * `json escape` settings, so a redacted response reads the same as any other. The middleware
 * sends this text itself: its length is what the redacted share is measured on, and the body
 * is serialized once.
 */
export function serializeJson(value: unknown, app: Application): string | undefined {
  const replacer = app.get("json replacer") as ((key: string, value: unknown) => unknown) | undefined;
  const spaces = app.get("json spaces") as string | number | undefined;
  const json = (replacer || spaces ? JSON.stringify(value, replacer, spaces) : JSON.stringify(value)) as string | undefined;
  return app.get("json escape") && json !== undefined ? json.replace(/[<>&]/g, (c) => ESCAPES[c]!) : json;
}

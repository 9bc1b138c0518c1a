import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * A body-parser `verify` function that lets only UTF-8 through: express.json decodes UTF-16 and
 * UTF-32 as well, which RFC 8259 does not allow between systems. Any other charset fails as
 * body-parser fails latin1 (a 415 of type `charset.unsupported`), which `fromRequestError` and
 * the final handlers answer 415 `unsupported_media_type`. Every portcullis parser uses it; pass
 * it to your own.
 *
 * @example
 * app.post("/models", express.json({ limit: "16kb", verify: utf8Only }), createModel);
 */
export function utf8Only(_req: IncomingMessage, _res: ServerResponse, _body: Buffer, encoding: string): void {
  if (encoding === "utf-8") return;
  throw Object.assign(new Error(`unsupported charset "${encoding.toUpperCase()}"`), {
    status: 415,
    statusCode: 415,
    expose: true,
    charset: encoding,
    type: "charset.unsupported",
  });
}

import { z } from "zod";

// Bounds as authRouter's: an address of at most 320 characters, a password of at most 1024 (the
// user store refuses what it cannot keep, such as more than bcrypt's 72 bytes).
const email = z.string().min(3).max(320);
const password = z.string().min(1).max(1024);
/** A token as sent; one that cannot be a token is refused as an unknown one is (400 `invalid_token`). */
const token = z.string().max(128);

export const addressBody = z.object({ email }).strict();
export const resetBody = z.object({ token, new_password: password }).strict();
export const tokenBody = z.object({ token }).strict();
export const tokenWithPasswordBody = z.object({ token, password }).strict();
/** A display name is one line of text: a line break in it would forge paragraphs (a link line, say) in the message's text part. */
const name = z.string().min(1).max(100).regex(/^[^\p{Cc}\u2028\u2029]+$/u, { error: "must be one line of text" });
export const invitationBody = z.object({ email, role: z.string().min(1).max(64), name: name.optional() }).strict();

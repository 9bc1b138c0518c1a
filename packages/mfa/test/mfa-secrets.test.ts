import { RecoveryCodeHasher, SecretBox, deriveKey, newRecoveryCodes, newTotpSecret, normalizeRecoveryCode } from "@portcullis/mfa";

const KEY = "mfa-encryption-key-of-at-least-32-bytes!";
const OTHER_KEY = "another-mfa-key-of-at-least-32-bytes!!!";

describe("SecretBox: TOTP secrets sealed with AES-256-GCM", () => {
  test("a sealed secret is a versioned string without the secret in it, and opens for its user", () => {
    const box = new SecretBox(KEY);
    const secret = newTotpSecret();
    const sealed = box.seal(secret, "usr_1");
    expect(sealed).toMatch(/^v1\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
    expect(sealed).not.toContain(secret);
    expect(box.open(sealed, "usr_1")).toBe(secret);
  });

  test("each seal has its own IV: sealing one secret twice gives two different values", () => {
    const box = new SecretBox(KEY);
    const secret = newTotpSecret();
    expect(box.seal(secret, "usr_1")).not.toBe(box.seal(secret, "usr_1"));
  });

  test("it does not open under another key, for another user, tampered with, or malformed", () => {
    const sealed = new SecretBox(KEY).seal(newTotpSecret(), "usr_1");
    const box = new SecretBox(KEY);
    expect(new SecretBox(OTHER_KEY).open(sealed, "usr_1")).toBeUndefined();
    expect(box.open(sealed, "usr_2")).toBeUndefined(); // copied into another user's record
    const [version, iv, body, tag] = sealed.split(".") as [string, string, string, string];
    const flipped = (text: string) => (text[0] === "A" ? "B" : "A") + text.slice(1);
    for (const tampered of [
      [version, iv, flipped(body), tag].join("."),
      [version, flipped(iv), body, tag].join("."),
      [version, iv, body, flipped(tag)].join("."),
      ["v2", iv, body, tag].join("."),
      "",
      "not sealed",
    ]) {
      expect(box.open(tampered, "usr_1")).toBeUndefined();
    }
  });

  test("rotation: with [new, old] it seals under the new key and still opens what the old one sealed", () => {
    const secret = newTotpSecret();
    const old = new SecretBox(KEY).seal(secret, "usr_1");
    const rotated = new SecretBox([OTHER_KEY, KEY]);
    expect(rotated.open(old, "usr_1")).toBe(secret);
    const resealed = rotated.seal(secret, "usr_1");
    expect(new SecretBox(OTHER_KEY).open(resealed, "usr_1")).toBe(secret);
    expect(new SecretBox(KEY).open(resealed, "usr_1")).toBeUndefined();
  });

  test.each([["short"], [""], [[]], [["x".repeat(40), "short"]], [42]])("the key %j is refused", (key) => {
    expect(() => new SecretBox(key as never)).toThrow(/at least 32 bytes/);
  });
});

describe("recovery codes", () => {
  test("ten distinct codes of ten characters, shown as xxxxx-xxxxx, without i, l, o or u", () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
  });

  test.each([
    ["abcde-f0123", "abcdef0123"],
    [" ABCDE F0123 ", "abcdef0123"],
    ["abcdef0123", "abcdef0123"],
    ["abcde-fo1l3", "abcdef0113"], // o reads as 0, l as 1
  ])("%j is normalised to %j", (typed, normalized) => {
    expect(normalizeRecoveryCode(typed)).toBe(normalized);
  });

  test.each([[""], ["abcde"], ["abcde-f01234"], ["abcde-fu123"], ["abcde_f0123"], ["ａｂｃｄｅ-ｆ0123"], ["-".repeat(50)]])("%j is not a recovery code", (typed) => {
    expect(normalizeRecoveryCode(typed)).toBeUndefined();
  });

  test("a code may be typed in up to 40 characters, spaces and dashes included, not 41", () => {
    const typed = `${" ".repeat(14)}abcde-f0123${" ".repeat(15)}`;
    expect(typed).toHaveLength(40);
    expect(normalizeRecoveryCode(typed)).toBe("abcdef0123");
    expect(normalizeRecoveryCode(`${typed} `)).toBeUndefined();
  });

  test("a code is stored as an HMAC digest bound to its user, the same however it is typed", () => {
    const hasher = new RecoveryCodeHasher(KEY);
    const [code] = newRecoveryCodes() as [string];
    const digest = hasher.digest("usr_1", code);
    expect(digest).toMatch(/^[\w-]{43}$/);
    expect(digest).not.toContain(code.replace("-", ""));
    expect(hasher.candidates("usr_1", ` ${code.toUpperCase().replace("-", " ")} `)).toEqual([digest]);
    expect(hasher.digest("usr_2", code)).not.toBe(digest);
    expect(new RecoveryCodeHasher(OTHER_KEY).digest("usr_1", code)).not.toBe(digest);
    expect(hasher.candidates("usr_1", "not a code")).toEqual([]);
  });

  test("with rotated keys a typed code is looked up under each, the current key first", () => {
    const [code] = newRecoveryCodes() as [string];
    const rotated = new RecoveryCodeHasher([OTHER_KEY, KEY]);
    expect(rotated.candidates("usr_1", code)).toEqual([new RecoveryCodeHasher(OTHER_KEY).digest("usr_1", code), new RecoveryCodeHasher(KEY).digest("usr_1", code)]);
  });

  test("the recovery-code key and the secret-sealing key are derived apart from the one server key (HKDF)", () => {
    const sealing = deriveKey(KEY, "totp-secret");
    const hashing = deriveKey(KEY, "recovery-code");
    expect(sealing).toHaveLength(32);
    expect(hashing).toHaveLength(32);
    expect(sealing.equals(hashing)).toBe(false);
    expect(sealing.equals(deriveKey(KEY, "totp-secret"))).toBe(true);
    expect(sealing.equals(deriveKey(OTHER_KEY, "totp-secret"))).toBe(false);
  });
});

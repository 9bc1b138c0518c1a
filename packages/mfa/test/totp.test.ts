import { AUTHENTICATOR_TOTP, newTotpSecret, TOTP_CODE, totpCode, totpUri, verifyTotp, verifyTotpCode, type TotpParameters } from "@portcullis/mfa";

// RFC 6238 Appendix B: 8-digit codes for the RFC's seeds (the ASCII digits 1234567890 repeated to
// 20, 32 and 64 bytes), through the same otplib calls the routes make.
const SEEDS = {
  sha1: "12345678901234567890",
  sha256: "12345678901234567890123456789012",
  sha512: "1234567890123456789012345678901234567890123456789012345678901234",
} as const;
const RFC_6238_VECTORS: [number, keyof typeof SEEDS, string][] = [
  [59, "sha1", "94287082"], [59, "sha256", "46119246"], [59, "sha512", "90693936"],
  [1111111109, "sha1", "07081804"], [1111111109, "sha256", "68084774"], [1111111109, "sha512", "25091201"],
  [1111111111, "sha1", "14050471"], [1111111111, "sha256", "67062674"], [1111111111, "sha512", "99943326"],
  [1234567890, "sha1", "89005924"], [1234567890, "sha256", "91819424"], [1234567890, "sha512", "93441116"],
  [2000000000, "sha1", "69279037"], [2000000000, "sha256", "90698825"], [2000000000, "sha512", "38618901"],
  [20000000000, "sha1", "65353130"], [20000000000, "sha256", "77737706"], [20000000000, "sha512", "47863826"],
];

describe("RFC 6238 Appendix B test vectors", () => {
  test.each(RFC_6238_VECTORS)("T = %i, %s: %s", async (time, algorithm, expected) => {
    const seed = new TextEncoder().encode(SEEDS[algorithm]);
    const parameters: TotpParameters = { digits: 8, algorithm, period: 30 };
    expect(await totpCode(seed, time, parameters)).toBe(expected);
    expect(await verifyTotpCode(seed, expected, time * 1000, parameters)).toBe(Math.floor(time / 30));
    expect(await verifyTotpCode(seed, expected, (time + 90) * 1000, parameters)).toBeUndefined();
  });

  test("the authenticator parameters are the RFC's SHA-1 code cut to 6 digits, checked by verifyTotp", async () => {
    expect(AUTHENTICATOR_TOTP).toEqual({ digits: 6, algorithm: "sha1", period: 30 });
    const base32Seed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // "12345678901234567890"
    expect(await totpCode(base32Seed, 59)).toBe("287082");
    expect(await verifyTotp(base32Seed, "287082", 59_000)).toBe(1);
    expect(await verifyTotp(base32Seed, "005924", 1234567890_000)).toBe(41152263);
  });
});

describe("clock skew: one step either side, never two", () => {
  const secret = newTotpSecret();
  const step = 58_000_000;
  const at = (s: number, offsetSeconds = 0) => (s * 30 + offsetSeconds) * 1000;

  test.each([
    ["the previous step", -1, step],
    ["the current step", 0, step],
    ["the next step", 1, step],
  ])("a code of %s is accepted, and its own step is returned", async (_what, shift, expected) => {
    const code = await totpCode(secret, (step + shift) * 30);
    for (const offset of [0, 15, 29]) expect(await verifyTotp(secret, code, at(step, offset))).toBe(expected + shift);
  });

  test.each([
    ["two steps old", -2],
    ["two steps ahead", 2],
    ["ten steps old", -10],
  ])("a code %s is refused, wherever in the current step it arrives", async (_what, shift) => {
    const code = await totpCode(secret, (step + shift) * 30);
    for (const offset of [0, 15, 29]) expect(await verifyTotp(secret, code, at(step, offset))).toBeUndefined();
  });
});

test.each([["12345"], ["1234567"], ["12a456"], [""], ["١٢٣٤٥٦"], [" 123456"], ["123 456"], ["+12345"]])(
  "%j is not a code: refused without a check or a throw",
  async (code) => {
    expect(await verifyTotp(newTotpSecret(), code, Date.now())).toBeUndefined();
  },
);

test("TOTP_CODE, the shape the bodies check before any lookup, is exactly six ASCII digits", () => {
  expect(TOTP_CODE.test("123456")).toBe(true);
  for (const code of ["12345", "1234567", "a123456", "123456a", "abcdef", "12 456"]) expect(TOTP_CODE.test(code)).toBe(false);
});

test("a new secret is 160 random bits in base32, and the otpauth URI names the issuer and the account", () => {
  const secret = newTotpSecret();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  expect(newTotpSecret()).not.toBe(secret);
  const uri = new URL(totpUri({ issuer: "Acme Co", account: "ada@example.com", secret }));
  expect(uri.protocol).toBe("otpauth:");
  expect(uri.host).toBe("totp");
  expect(decodeURIComponent(uri.pathname)).toBe("/Acme Co:ada@example.com");
  expect(uri.searchParams.get("secret")).toBe(secret);
  expect(uri.searchParams.get("issuer")).toBe("Acme Co");
});

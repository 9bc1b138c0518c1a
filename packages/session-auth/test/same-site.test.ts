import { isSameSiteRequest, type SameSitePolicy } from "../src/same-site";

const OWN = "https://app.example.com";
const strict: SameSitePolicy = { allowedOrigins: new Set(["https://admin.example.com"]), trustSameSite: false };
const siblings: SameSitePolicy = { allowedOrigins: new Set(), trustSameSite: true };
const allowed = (method: string, headers: Record<string, string>, policy = strict) => isSameSiteRequest(method, headers, () => OWN, policy);

describe("isSameSiteRequest", () => {
  test("a safe method goes on whatever it came from", () => {
    for (const method of ["GET", "HEAD", "OPTIONS"]) expect(allowed(method, { "sec-fetch-site": "cross-site", origin: "https://evil.example" })).toBe(true);
  });

  test.each([
    ["same-origin", true],
    ["none", true], // typed in the address bar or opened from a bookmark
    ["cross-site", false],
    ["same-site", false],
    ["", false],
    ["Same-Origin", false],
  ])("Sec-Fetch-Site %j on a POST: %s", (site, expected) => {
    expect(allowed("POST", { "sec-fetch-site": site })).toBe(expected);
  });

  test("same-site goes on only when sibling subdomains are trusted, and cross-site never", () => {
    expect(allowed("POST", { "sec-fetch-site": "same-site" }, siblings)).toBe(true);
    expect(allowed("POST", { "sec-fetch-site": "cross-site" }, siblings)).toBe(false);
    expect(allowed("POST", { "sec-fetch-site": "same-origin" }, siblings)).toBe(true);
  });

  test("Fetch Metadata, when sent, decides alone: an allowed Origin does not rescue a cross-site request", () => {
    expect(allowed("POST", { "sec-fetch-site": "cross-site", origin: OWN })).toBe(false);
  });

  test("without Fetch Metadata, the Origin must be the app's own or an allowed one", () => {
    expect(allowed("POST", { origin: OWN })).toBe(true);
    expect(allowed("POST", { origin: "https://admin.example.com" })).toBe(true);
    expect(allowed("POST", { origin: "https://evil.example" })).toBe(false);
    expect(allowed("POST", { origin: "null" })).toBe(false);
  });

  test("a request with neither header is no browser's, so no forgery: it goes on", () => {
    expect(allowed("POST", {})).toBe(true);
    expect(allowed("DELETE", {})).toBe(true);
  });
});

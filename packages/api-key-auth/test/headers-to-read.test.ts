import { compileSources, DEFAULT_SOURCES } from "../src/credential-sources";
import { headersToRead } from "../src/extract-api-key";

describe("headersToRead", () => {
  const sources = compileSources(DEFAULT_SOURCES);

  test("keeps every copy of the headers a source reads, whatever their case, and nothing else", () => {
    const raw = ["Host", "api", "authorization", "Bearer a", "X-API-Key", "k1", "Cookie", "c=1", "AUTHORIZATION", "Key b", "x-api-key", "k2"];
    expect(headersToRead(raw, sources)).toEqual({ authorization: ["Bearer a", "Key b"], "x-api-key": ["k1", "k2"] });
  });

  test("reads only the headers configured: x-api-key is ignored when no source names it", () => {
    const bearerOnly = compileSources([{ authorization: "Bearer" }]);
    expect(headersToRead(["x-api-key", "k1", "Authorization", "Bearer a"], bearerOnly)).toEqual({ authorization: ["Bearer a"] });
  });

  test("an empty or odd-length list gives what it can, never throws", () => {
    expect(headersToRead([], sources)).toEqual({});
    expect(headersToRead(["Authorization"], sources)).toEqual({});
  });
});

import { PortcullisError } from "@portcullis/core";
import { guardStore } from "@portcullis/core/internal";

describe("guardStore", () => {
  it("passes an answer through, a promise's or a plain value's", async () => {
    await expect(guardStore(Promise.resolve("found"), 1000)).resolves.toBe("found");
    // A host's own store may answer synchronously.
    await expect(guardStore("plain" as unknown as Promise<string>, 1000)).resolves.toBe("plain");
  });

  it("turns a failure into 503 auth_unavailable that keeps only the failure's name and message", async () => {
    const failure = Object.assign(new Error("connect ECONNREFUSED"), { command: { args: ["portcullis:sess:secret-id"] } });
    const error = await guardStore(Promise.reject(failure), 1000).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(PortcullisError);
    expect(error).toMatchObject({ code: "auth_unavailable", status: 503, headers: { "Retry-After": "1" } });
    expect(String((error as Error).cause)).toBe("Error: Error: connect ECONNREFUSED");
    expect(JSON.stringify((error as Error).cause)).not.toContain("secret-id");
  });

  it("lets a refusal already decided through unchanged", async () => {
    const refusal = new PortcullisError("invalid_key");
    await expect(guardStore(Promise.reject(refusal), 1000)).rejects.toBe(refusal);
  });

  it("answers 503 when the store does not answer in time, and ignores the late answer", async () => {
    let answer!: (value: string) => void;
    const stalled = new Promise<string>((resolve) => (answer = resolve));
    const error = await guardStore(stalled, 20).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ code: "auth_unavailable" });
    expect(String((error as Error).cause)).toMatch(/did not answer within 20 ms/);
    answer("too late"); // settles nothing any more, and throws nothing
  });
});

import { rememberedFor } from "@portcullis/core/internal";

describe("rememberedFor", () => {
  it("computes once per frozen object, and every time for one that could still change", () => {
    const memo = new WeakMap<readonly string[], string>();
    let computed = 0;
    const join = (list: readonly string[]) => rememberedFor(list, memo, () => (computed++, list.join(" ")));

    const frozen = Object.freeze(["read", "write"]);
    expect([join(frozen), join(frozen)]).toEqual(["read write", "read write"]);
    expect(computed).toBe(1);

    const open = ["read"];
    expect(join(open)).toBe("read");
    open.push("admin");
    expect(join(open)).toBe("read admin");
    expect(computed).toBe(3);
  });
});

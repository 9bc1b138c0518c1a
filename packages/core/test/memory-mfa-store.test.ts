import { MemoryMfaStore } from "@portcullis/core";
import { describeMfaStoreContract } from "@portcullis/testing";

describeMfaStoreContract("MemoryMfaStore", () => new MemoryMfaStore());

test("a pending sign-in's count of codes is forgotten once the sign-in has expired", async () => {
  const store = new MemoryMfaStore();
  expect(await store.countSignInCode("old", 1000, 5000)).toBe(1);
  expect(await store.countSignInCode("old", 4999, 5000)).toBe(2);
  expect(await store.countSignInCode("new", 5000, 9000)).toBe(1); // "old" is swept meanwhile
  expect(await store.countSignInCode("old", 5000, 9000)).toBe(1);
});

test("what find returns is a copy: changing it changes nothing stored", async () => {
  const store = new MemoryMfaStore();
  await store.startEnrolment("usr_1", "sealed", 1);
  await store.confirm("usr_1", { secret: "sealed", recoveryCodes: ["d1", "d2"], at: 2, step: 3 });
  const found = await store.find("usr_1");
  (found!.recoveryCodes as string[]).length = 0;
  expect((await store.find("usr_1"))!.recoveryCodes).toEqual(["d1", "d2"]);
});

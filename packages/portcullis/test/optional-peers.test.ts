/**
 * ioredis and pg are optional peers of the umbrella: an app on memory, on Redis only or on
 * PostgreSQL only installs one, or neither, and `require("portcullis")` must still load. Nothing
 * portcullis loads on require may need them; the stores use the client or pool the app passes in.
 */
const notInstalled = (name: string) => () => {
  throw Object.assign(new Error(`Cannot find module '${name}'`), { code: "MODULE_NOT_FOUND" });
};

test.each(["ioredis", "pg", "ioredis and pg"])("portcullis loads, every export with it, without %s installed", (which) => {
  const missing = which.split(" and ");
  let loaded: Record<string, unknown> = {};
  jest.isolateModules(() => {
    for (const name of missing) jest.doMock(name, notInstalled(name));
    loaded = jest.requireActual<Record<string, unknown>>("portcullis");
    // The mock works: the module really cannot be loaded here.
    for (const name of missing) expect(() => require(name)).toThrow(`Cannot find module '${name}'`);
  });
  for (const name of ["PostgresKeyStore", "migrate", "postgresPing", "RedisKeyStore", "apiKeyAuth"]) expect(typeof loaded[name]).toBe("function");
});

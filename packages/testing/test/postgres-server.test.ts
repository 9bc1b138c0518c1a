import { createServer } from "node:net";
import { startPostgres } from "@portcullis/testing";

async function canListenOn(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

test("without the PostgreSQL binaries the setup fails with a message saying how to install them", async () => {
  await expect(startPostgres({ binDir: "/nonexistent/postgresql/bin" })).rejects.toThrow(
    /initdb and postgres were not found.*apt-get install postgresql/,
  );
});

test("a started server answers on its own loopback port and socket dir, never the machine's own, and is gone after stop", async () => {
  const server = await startPostgres();
  expect(server.port).not.toBe(5432);
  const pool = server.pool();
  expect((await pool.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
  const settings = await pool.query<{ name: string; setting: string }>(
    "SELECT name, setting FROM pg_settings WHERE name IN ('port', 'listen_addresses', 'unix_socket_directories', 'data_directory') ORDER BY name",
  );
  expect(Object.fromEntries(settings.rows.map((row) => [row.name, row.setting]))).toEqual({
    data_directory: `${server.dir}/data`,
    listen_addresses: "127.0.0.1",
    port: String(server.port),
    unix_socket_directories: server.dir,
  });
  expect(await canListenOn(server.port)).toBe(false);

  await server.stop();
  expect(await canListenOn(server.port)).toBe(true);
  const after = server.pool({ connectionTimeoutMillis: 1000 });
  await expect(after.query("SELECT 1")).rejects.toThrow();
  await after.end();
});

test("a killed server refuses connections, and after restart answers with its data intact", async () => {
  const server = await startPostgres();
  try {
    const pool = server.pool();
    await pool.query("CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)");
    await server.kill();
    await expect(pool.query("SELECT n FROM kept")).rejects.toThrow();
    await server.restart();
    expect((await pool.query("SELECT n FROM kept")).rows).toEqual([{ n: 7 }]);
  } finally {
    await server.stop();
  }
});

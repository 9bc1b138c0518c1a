const { startPostgres } = require("/work/main/packages/testing/src/index.ts");
const { Pool } = require("pg");
const { migrate, PostgresKeyStore } = require("@portcullis/postgres");
(async () => {
  const pg = await startPostgres();
  const pool = new Pool({ connectionString: pg.url });
  await migrate(pool);
  const store = new PostgresKeyStore(pool);
  const t = [];
  for (let i = 0; i < 3000; i++) { const s = process.hrtime.bigint(); await store.findById("key_abc"); t.push(Number(process.hrtime.bigint() - s) / 1000); }
  const u = [];
  for (let i = 0; i < 3000; i++) { const s = process.hrtime.bigint(); await pool.query("SELECT 1"); u.push(Number(process.hrtime.bigint() - s) / 1000); }
  const med = (a) => a.slice(1000).sort((x, y) => x - y)[1000];
  console.log("findById p50", med(t), "SELECT 1 p50", med(u));
  await store.close(); await pool.end(); await pg.stop();
})();

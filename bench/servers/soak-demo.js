// @ts-check
// The demo server as the soak runs it: examples/demo-server/server.js unchanged, which also stops
// (through its own SIGTERM handler) when the driver's end of its stdin closes, so a driver that
// dies leaves no server behind. Not one of the HTTP benchmark's variants.
process.stdin
  .on("end", () => process.kill(process.pid, "SIGTERM"))
  .on("close", () => process.kill(process.pid, "SIGTERM"))
  .resume();
require("../../examples/demo-server/server.js");

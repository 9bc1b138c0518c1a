import fc from "fast-check";
import { isIPv6 } from "node:net";
import { clientNetwork } from "../src/client-network";
import { loginCounterIds } from "../src/login-keys";
import { attempt, createApp, fail } from "./create-app";

test.each([
  ["2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"],
  ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
  ["2001:DB8:0001:0002:0:0:0:ffff", "2001:db8:1:2::/64"],
  ["2001:db8::", "2001:db8:0:0::/64"],
  ["::1", "0:0:0:0::/64"],
  ["fe80::1%eth0", "fe80:0:0:0::/64"],
  ["::ffff:203.0.113.7", "203.0.113.7"],
  ["::ffff:cb00:7107", "203.0.113.7"],
  ["64:ff9b::203.0.113.7", "64:ff9b:0:0::/64"],
  ["203.0.113.7", "203.0.113.7"],
  ["not an address", "not an address"],
])("%s counts as %s", (ip, network) => {
  expect(clientNetwork(ip)).toBe(network);
});

test("any string is kept or mapped to a network, never thrown on; every address of one /64 maps alike", () => {
  fc.assert(fc.property(fc.string(), (text) => typeof clientNetwork(text) === "string"));
  fc.assert(
    fc.property(fc.ipV6(), fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 4, maxLength: 4 }), (address, low) => {
      if (!isIPv6(address) || address.includes(".")) return;
      const network = clientNetwork(address);
      if (!network.endsWith("::/64")) return; // an IPv4-mapped address
      const sibling = `${network.slice(0, -"::/64".length)}:${low.map((part) => part.toString(16)).join(":")}`;
      expect(clientNetwork(sibling)).toBe(network);
    }),
  );
});

test("an attacker rotating through the addresses of one /64 is counted as one client", async () => {
  expect(loginCounterIds("2001:db8:1:2::1", "alice")).toEqual(loginCounterIds("2001:db8:1:2::ffff", "alice"));
  const { app } = createApp({ limit: { consecutiveFailures: { points: 3, blockSeconds: 900 } } });
  const statuses: number[] = [];
  for (let host = 1; host <= 3; host++) statuses.push((await attempt(app, { ip: `2001:db8:1:2::${host}` })).status);
  expect(statuses).toEqual([401, 401, 401]);
  await attempt(app, { ip: "2001:db8:1:2::99" }).expect(429);
  expect(await fail(app, 1, { ip: "2001:db8:1:3::1" })).toEqual([401]); // the next /64 is another client
});

import { isIPv6 } from "node:net";

/**
 * The network an address is counted under. An IPv6 client usually holds a whole /64 and can
 * change address within it at will, so IPv6 addresses count by their /64 (as OWASP and most rate
 * limiters do); an IPv4-mapped IPv6 address (`::ffff:203.0.113.7`, as a dual-stack server sees
 * IPv4 clients) counts as its IPv4 address. Anything else, an IPv4 address included, is kept as
 * given: a host's `ip` function may return any string.
 *
 * @example
 * clientNetwork("2001:db8:1:2:aaaa::1");   // "2001:db8:1:2::/64"
 * clientNetwork("::ffff:203.0.113.7");     // "203.0.113.7"
 * clientNetwork("203.0.113.7");            // "203.0.113.7"
 */
export function clientNetwork(ip: string): string {
  const address = ip.replace(/%.*$/, ""); // a zone index (fe80::1%eth0) names an interface, not a client
  if (!isIPv6(address)) return ip;
  const hextets = expandIPv6(address);
  const mapped = hextets.slice(0, 5).every((part) => part === 0) && hextets[5] === 0xffff;
  if (mapped) return [hextets[6]! >> 8, hextets[6]! & 0xff, hextets[7]! >> 8, hextets[7]! & 0xff].join(".");
  return `${hextets.slice(0, 4).map((part) => part.toString(16)).join(":")}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, `::` and a trailing dotted IPv4 part expanded. */
function expandIPv6(address: string): number[] {
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const groups = (part: string) => (part === "" ? [] : part.split(":").map((group) => parseInt(group, 16)));
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}

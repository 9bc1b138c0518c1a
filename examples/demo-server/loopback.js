// @ts-check
const { isIP } = require("node:net");

/** Headers reverse proxies add to what they forward (nginx, HAProxy, Caddy, Traefik, cloud load balancers). */
const PROXY_HEADERS = ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip", "via"];

/**
 * True for 127.0.0.0/8, ::1 and their IPv4-mapped forms.
 * @param {string | undefined} address
 */
function isLoopback(address) {
  if (address === undefined) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith("127.");
  return address === "::1";
}

/**
 * A client on this machine that no proxy forwarded: the TCP peer is loopback (which no header can
 * fake) and the request carries none of the headers a proxy adds. The demo listens on 127.0.0.1,
 * so a reverse proxy on the same host is how the internet reaches it, and every request that proxy
 * forwards comes from loopback too.
 * @param {import("express").Request} req
 */
function isLocalClient(req) {
  return isLoopback(req.socket.remoteAddress) && !PROXY_HEADERS.some((name) => req.headers[name] !== undefined);
}

module.exports = { isLoopback, isLocalClient };

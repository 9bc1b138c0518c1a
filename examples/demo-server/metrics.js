// @ts-check
const { isIP } = require("node:net");
const { metrics } = require("@opentelemetry/api");
const { PrometheusExporter } = require("@opentelemetry/exporter-prometheus");
const { MeterProvider } = require("@opentelemetry/sdk-metrics");

/**
 * The OpenTelemetry SDK's metrics for this process, read by Prometheus: a MeterProvider registered
 * as the global one (portcullis records through @opentelemetry/api, which finds it there) with the
 * Prometheus exporter as its reader. The exporter starts no server of its own: `handler` serves
 * the metrics on the demo's own Express app. Call it once per process; `stop()` unregisters it.
 *
 * `/metrics` answers only a client connected over loopback (the TCP peer's address, which no
 * header can fake) that no proxy forwarded: the counts say how the API is used, and a scraper
 * runs beside the process. The demo listens on 127.0.0.1, so a reverse proxy on the same host is
 * how the internet reaches it, and every request the proxy forwards comes from loopback too: one
 * carrying a header a proxy adds is not a local scraper's. Anyone else gets the ordinary 404.
 */
function startPrometheusMetrics() {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  if (!metrics.setGlobalMeterProvider(provider)) throw new Error("startPrometheusMetrics: a meter provider is registered already");

  /** @type {import("express").RequestHandler} */
  function metricsHandler(req, res, next) {
    // On to the JSON 404 of unknown routes.
    if (!isLoopback(req.socket.remoteAddress) || PROXY_HEADERS.some((name) => req.headers[name] !== undefined)) return next();
    exporter.getMetricsRequestHandler(req, res);
  }
  return {
    handler: metricsHandler,
    async stop() {
      metrics.disable();
      await provider.shutdown();
    },
  };
}

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

module.exports = { startPrometheusMetrics, isLoopback };

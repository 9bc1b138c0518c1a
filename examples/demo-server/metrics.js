// @ts-check
const { metrics } = require("@opentelemetry/api");
const { PrometheusExporter } = require("@opentelemetry/exporter-prometheus");
const { MeterProvider } = require("@opentelemetry/sdk-metrics");
const { isLocalClient, isLoopback } = require("./loopback");

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
    if (!isLocalClient(req)) return next();
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

module.exports = { startPrometheusMetrics, isLoopback };

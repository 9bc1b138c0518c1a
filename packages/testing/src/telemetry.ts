import { metrics, trace, type Attributes } from "@opentelemetry/api";
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";

/** A reader the test collects from when it likes; nothing is pushed anywhere. */
class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** One data point of a metric: its attributes and its value (a histogram's count and sum). */
export interface RecordedPoint {
  readonly attributes: Attributes;
  readonly value: number;
  readonly sum?: number;
}

/** The real OpenTelemetry SDK, registered as the global providers, reading into memory. */
export interface RecordedTelemetry {
  /** Every data point of `metric` recorded so far (cumulative), whatever its attributes. */
  points(metric: string): Promise<RecordedPoint[]>;
  /** The sum of `metric`'s points (a histogram's counts) whose attributes include all of `where`. */
  total(metric: string, where?: Attributes): Promise<number>;
  /** The spans ended so far. */
  spans(): ReadableSpan[];
  /** Every attribute value of every point and span (events included), for "nothing sensitive" checks. */
  attributeValues(): Promise<string[]>;
  /** Unregisters the providers, so the next test can register its own. */
  stop(): Promise<void>;
}

/**
 * Registers an SDK MeterProvider and TracerProvider globally, as an app would, with in-memory
 * readers; `stop()` it after the test.
 *
 * @example
 * const telemetry = recordTelemetry();
 * await request(app).get("/whoami").set("x-api-key", key);
 * expect(await telemetry.total("portcullis.auth.outcomes", { "portcullis.outcome": "success" })).toBe(1);
 * await telemetry.stop();
 */
export function recordTelemetry(): RecordedTelemetry {
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  if (!metrics.setGlobalMeterProvider(meterProvider) || !trace.setGlobalTracerProvider(tracerProvider)) {
    throw new Error("recordTelemetry: a provider is registered already; stop() the previous one");
  }

  const points = async (metric: string): Promise<RecordedPoint[]> => {
    const { resourceMetrics } = await reader.collect();
    const found: RecordedPoint[] = [];
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const data of scope.metrics) {
        if (data.descriptor.name !== metric) continue;
        for (const point of data.dataPoints as DataPoint<number | Histogram>[]) {
          const value = point.value;
          found.push(typeof value === "number" ? { attributes: point.attributes, value } : { attributes: point.attributes, value: value.count, sum: value.sum ?? 0 });
        }
      }
    }
    return found;
  };

  return {
    points,
    async total(metric, where = {}) {
      const matching = (await points(metric)).filter((point) => Object.entries(where).every(([key, value]) => point.attributes[key] === value));
      return matching.reduce((sum, point) => sum + point.value, 0);
    },
    spans: () => exporter.getFinishedSpans(),
    async attributeValues() {
      const { resourceMetrics } = await reader.collect();
      const values: unknown[] = [];
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const data of scope.metrics) for (const point of data.dataPoints) values.push(...Object.values(point.attributes));
      }
      for (const span of exporter.getFinishedSpans()) {
        values.push(span.name, ...Object.values(span.attributes), span.status.message);
        for (const event of span.events) values.push(...Object.values(event.attributes ?? {}));
      }
      return values.filter((value) => value !== undefined).map(String);
    },
    async stop() {
      metrics.disable();
      trace.disable();
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
}

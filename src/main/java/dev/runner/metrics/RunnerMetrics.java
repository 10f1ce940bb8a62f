package dev.runner.metrics;

import dev.runner.cache.ContentCache;
import dev.runner.config.RunnerConfig;
import dev.runner.jobs.Verdict;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.DoubleStream;

/**
 * A node's own metrics, in a Prometheus registry of its own (never Micrometer's global one: several
 * nodes may share a JVM, as in the tests), which Vert.x's own metrics (HTTP server, event bus) are
 * recorded in too and which {@code GET /metrics} scrapes. Every meter is defined here:
 * <ul>
 *   <li>{@code runner_jobs_total{language, outcome}}: jobs a worker of this node finished;
 *   <li>{@code runner_job_duration_seconds{language}}: how long they took there, a histogram;
 *   <li>{@code runner_compilation_errors_total{language}}: jobs whose code did not compile;
 *   <li>{@code runner_execution_errors_total{language}}: jobs that failed for the runner's reasons (503);
 *   <li>{@code runner_verdicts_total{language, verdict}}: the tests of those jobs, by verdict;
 *   <li>{@code runner_sandboxes{image, state}}, {@code runner_jobs_waiting{image}}: the pools;
 *   <li>{@code runner_cache_hits_total{cache}}: lookups that found an entry some live node holds, and
 *       opens that delivered the bytes (from this node's disk or fetched from a peer); a peer's copy
 *       made for replication is no open of a user and counts neither way;
 *   <li>{@code runner_cache_misses_total{cache}}: lookups that found nothing, opens that failed with
 *       a {@code CacheMissException};
 *   <li>{@code runner_cache_size_bytes{cache}}: the bytes of the cache's files on this node's disk.
 * </ul>
 * {@code cache} is {@code token} or {@code input} ({@code ContentCache.Kind.tag()}).
 * Thread-safe: meters are, and the pool gauges read values the worker sets on its own thread.
 */
public final class RunnerMetrics {
  /** How a job ended, the {@code outcome} tag of {@code runner_jobs_total}. */
  public enum Outcome {
    /** Every test OK. */
    OK,
    /** Some test's verdict is not OK (the code compiled). */
    FAILED,
    /** The code did not compile (or parse). */
    COMPILE_ERROR,
    /** The runner could not run it (no sandbox in time, Podman or a sandbox failed): a 503. */
    UNAVAILABLE,
    /** Its client went away. */
    CANCELLED;

    public String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The histogram's buckets: a job takes from a few milliseconds to RUNNER_MAX_JOB_SECONDS (and a compile). */
  private static final Duration[] DURATION_BUCKETS = DoubleStream.of(
      0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200)
      .mapToObj(s -> Duration.ofMillis(Math.round(s * 1000))).toArray(Duration[]::new);

  private final PrometheusMeterRegistry registry;
  private final Map<String, PoolGauges> pools = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> cacheSizes = new ConcurrentHashMap<>();

  private record PoolGauges(AtomicInteger idle, AtomicInteger busy, AtomicInteger waiting) {}

  /**
   * Meters for a node's languages (their counters start at 0, so a rate is right from the first job)
   * and its images' pools, in a fresh registry.
   */
  public RunnerMetrics(RunnerConfig config) {
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    for (String language : config.languages().keySet()) {
      for (Outcome o : Outcome.values()) jobs(language, o);
      compilationErrors(language);
      executionErrors(language);
      for (Verdict v : Verdict.values()) verdicts(language, v);
    }
    config.images().values().forEach(this::pool);
    for (ContentCache.Kind k : ContentCache.Kind.values()) {
      cacheHits(k.tag());
      cacheMisses(k.tag());
      cacheSize(k.tag());
    }
  }

  /** The registry: what {@code GET /metrics} scrapes. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /**
   * The options that make a Vert.x record its own metrics in this registry, under a registry name of
   * its own (Vert.x keeps its registries by name in a JVM-wide map: a shared name would share one).
   * With {@link #vertxMetricsFactory()}; closing that Vert.x closes the registry.
   */
  public MicrometerMetricsOptions vertxMetricsOptions() {
    return new MicrometerMetricsOptions().setEnabled(true).setRegistryName("runner-" + UUID.randomUUID());
  }

  public MicrometerMetricsFactory vertxMetricsFactory() {
    return new MicrometerMetricsFactory(registry);
  }

  /** A job a worker finished (replied to, or failed), and how long it had it. */
  public void jobFinished(String language, Outcome outcome, Duration duration) {
    jobs(language, outcome).increment();
    if (outcome == Outcome.COMPILE_ERROR) compilationErrors(language).increment();
    if (outcome == Outcome.UNAVAILABLE) executionErrors(language).increment();
    Timer.builder("runner.job.duration").description("How long a worker had a job, from its arrival to the reply")
        .tag("language", language).serviceLevelObjectives(DURATION_BUCKETS).register(registry).record(duration);
  }

  /** One test's verdict. */
  public void verdict(String language, Verdict verdict) {
    verdicts(language, verdict).increment();
  }

  /**
   * The sandboxes of an image's pools now: idle ones, busy ones (lent to a job, or being reset or
   * refitted) and the jobs waiting for one. Called by the worker that owns the pools, from its thread.
   */
  public void sandboxes(String image, int idle, int busy, int waiting) {
    PoolGauges g = pool(image);
    g.idle().set(idle);
    g.busy().set(busy);
    g.waiting().set(waiting);
  }

  /** A lookup or open of the {@code cache} (a {@link ContentCache.Kind#tag()}) that was a hit, or a miss. */
  public void cacheLookup(String cache, boolean hit) {
    (hit ? cacheHits(cache) : cacheMisses(cache)).increment();
  }

  /** The bytes the {@code cache}'s files take on this node's disk now. */
  public void cacheSizeBytes(String cache, long bytes) {
    cacheSize(cache).set(bytes);
  }

  private Counter cacheHits(String cache) {
    return Counter.builder("runner.cache.hits").description("Cache lookups and opens satisfied (locally or by a fetch)")
        .tag("cache", cache).register(registry);
  }

  private Counter cacheMisses(String cache) {
    return Counter.builder("runner.cache.misses").description("Cache lookups and opens no live node could satisfy")
        .tag("cache", cache).register(registry);
  }

  private AtomicLong cacheSize(String cache) {
    return cacheSizes.computeIfAbsent(cache, c -> {
      AtomicLong bytes = new AtomicLong();
      Gauge.builder("runner.cache.size", bytes, AtomicLong::get).baseUnit("bytes")
          .description("Bytes of the cache's files on this node's disk").tag("cache", c).register(registry);
      return bytes;
    });
  }

  private PoolGauges pool(String image) {
    return pools.computeIfAbsent(image, i -> {
      PoolGauges g = new PoolGauges(new AtomicInteger(), new AtomicInteger(), new AtomicInteger());
      Gauge.builder("runner.sandboxes", g.idle(), AtomicInteger::get).description("Started sandboxes, idle or busy")
          .tags("image", i, "state", "idle").register(registry);
      Gauge.builder("runner.sandboxes", g.busy(), AtomicInteger::get).description("Started sandboxes, idle or busy")
          .tags("image", i, "state", "busy").register(registry);
      Gauge.builder("runner.jobs.waiting", g.waiting(), AtomicInteger::get).description("Jobs waiting for a sandbox")
          .tags("image", i).register(registry);
      return g;
    });
  }

  private Counter jobs(String language, Outcome outcome) {
    return Counter.builder("runner.jobs").description("Jobs finished by this node's workers")
        .tags("language", language, "outcome", outcome.tag()).register(registry);
  }

  private Counter compilationErrors(String language) {
    return Counter.builder("runner.compilation.errors").description("Jobs whose code did not compile")
        .tag("language", language).register(registry);
  }

  private Counter executionErrors(String language) {
    return Counter.builder("runner.execution.errors").description("Jobs the runner could not run (503)")
        .tag("language", language).register(registry);
  }

  private Counter verdicts(String language, Verdict verdict) {
    return Counter.builder("runner.verdicts").description("Tests judged, by verdict")
        .tags("language", language, "verdict", verdict.name()).register(registry);
  }

}

package dev.runner;

import dev.runner.cache.CacheSettings;
import dev.runner.cache.ClusterCache;
import dev.runner.cluster.Cluster;
import dev.runner.cluster.Dispatcher;
import dev.runner.cluster.JobRecords;
import dev.runner.cluster.NodeRegistry;
import dev.runner.coordinator.JobCoordinator;
import com.hazelcast.core.HazelcastInstance;
import dev.runner.config.ConfigFile;
import dev.runner.config.RunnerConfig;
import dev.runner.contest.ContestApi;
import dev.runner.grader.GraderPoller;
import dev.runner.http.HttpVerticle;
import dev.runner.jobs.Programs;
import dev.runner.jobs.WorkerVerticle;
import dev.runner.metrics.RunnerMetrics;
import dev.runner.podman.PodmanClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import sun.misc.Signal;

/**
 * Starts one node: the clustered Vert.x, a worker verticle (the sandboxes) and the HTTP verticle,
 * which is handed the toolchains' versions read from the images' labels here, once. Both record in
 * the node's {@link RunnerMetrics}, which the HTTP verticle serves at GET /metrics.
 */
public final class Main {
  private static final Logger LOG = Logger.getLogger(Main.class.getName());

  private Main() {}

  public static void main(String[] args) {
    RunnerConfig config;
    // Read with a plain Vert.x of its own, closed once read: the clustered one's options (event bus
    // TLS, cluster address, metrics) come from this configuration. main is no event loop: await is fine.
    Vertx reader = Vertx.vertx();
    try {
      config = ConfigFile.load(reader, System.getenv("RUNNER_CONFIG")).await();
    } catch (RuntimeException e) { // IllegalArgumentException: a wrong value, named; anything else: unreadable
      System.err.println("runner: " + e.getMessage());
      System.exit(2);
      return;
    } finally {
      reader.close().await(); // after the read: a result would not reach a closed Vert.x's event loop
    }
    start(config).onSuccess(node -> {
      LOG.info("runner node listening on " + config.httpHost() + ":" + config.httpPort() + " with " + config.images().keySet());
      // SIGTERM (a pod's deletion, a rolling update) drains; SIGINT and the rest close at once.
      Signal.handle(new Signal("TERM"), sig -> drain(node, config.cluster().drainTimeout().toMillis())
          .onComplete(ar -> System.exit(0)));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          node.close().await();
        } catch (Exception ignored) {
          // exiting anyway
        }
      }));
    }).onFailure(err -> {
      System.err.println("runner: the node did not start: " + err.getMessage());
      System.exit(1);
    });
  }

  /**
   * Drains the node, then closes it: its API and its worker take no new job (GET /health says
   * "draining", dispatchers pass it by), the jobs it runs or coordinates end (at most {@code
   * timeoutMs}), then it leaves the cluster and removes its sandboxes. A job still running then is
   * run again by the dispatcher that sent it, on another node, as its node has left.
   */
  public static Future<Void> drain(Vertx node, long timeoutMs) {
    LOG.info("draining: no new jobs; waiting at most " + timeoutMs / 1000 + " s for the running ones");
    DeliveryOptions local = new DeliveryOptions().setLocalOnly(true).setSendTimeout(timeoutMs + 10_000);
    JsonObject ask = new JsonObject().put("timeout_ms", timeoutMs);
    return Future.join(node.eventBus().request(HttpVerticle.DRAIN_ADDRESS, ask, local),
            node.eventBus().request(WorkerVerticle.DRAIN_ADDRESS, ask, local))
        .transform(ar -> node.close())
        .onComplete(ar -> LOG.info("drained: the node left the cluster"));
  }

  /** Starts a node; closing the returned Vertx stops it and removes its sandboxes. */
  public static Future<Vertx> start(RunnerConfig config) {
    Promise<Vertx> started = Promise.promise(); // not tied to the node's context, which a failed start closes
    RunnerMetrics metrics = new RunnerMetrics(config); // the node's own registry, closed with its Vert.x
    Cluster.start(config, metrics).onComplete(cluster -> {
      if (cluster.failed()) {
        started.fail(cluster.cause());
        return;
      }
      Vertx vertx = cluster.result().vertx();
      ClusterCache cache = new ClusterCache(vertx, cluster.result().manager(), CacheSettings.of(config), config.trust(), metrics);
      // Deployed first, so closing the node stops it last (its server, its address in the index); its files stay on disk.
      vertx.deployVerticle(new VerticleBase() {
            @Override
            public Future<?> start() {
              return cache.start();
            }

            @Override
            public Future<?> stop() {
              return cache.close();
            }
          })
          .compose(v -> images(vertx, config))
          .compose(images -> {
            Programs programs = new Programs(vertx, cache, images.digests());
            HazelcastInstance hz = cluster.result().manager().getHazelcastInstance();
            NodeRegistry registry = new NodeRegistry(vertx, cluster.result().manager());
            Dispatcher dispatcher = new Dispatcher(vertx, registry);
            ContestApi contest = new ContestApi(vertx, config, cache, programs, dispatcher);
            JobCoordinator coordinator = new JobCoordinator(vertx, config, registry, dispatcher, new JobRecords(vertx, hz), contest);
            return vertx.deployVerticle(new WorkerVerticle(config, metrics, cache, programs, registry, images.versions()))
                .compose(v -> vertx.deployVerticle(new HttpVerticle(config, metrics, contest, coordinator)))
                // Only with a grader to poll; its jobs go through the same contest API as the HTTP routes.
                .compose(v -> config.runner().graderUrl() == null ? Future.succeededFuture()
                    : vertx.deployVerticle(new GraderPoller(config, contest)));
          })
          .onSuccess(id -> started.complete(vertx))
          .onFailure(err -> {
            LOG.severe("the node did not start: " + err);
            vertx.close().onComplete(x -> started.fail(err));
          });
    });
    return started.future();
  }

  /** The label in which containers/build-image.sh records an image's toolchain versions: {language id: version line}. */
  static final String VERSIONS_LABEL = "runner.versions";

  /**
   * What the node learns of its images at start: each language's toolchain version (from its image's
   * {@link #VERSIONS_LABEL}) and its image's digest (Podman's image id: the image's own content, which
   * compile tokens are made of).
   */
  record Images(Map<String, String> versions, Map<String, String> digests) {}

  /**
   * Reads every image through Podman's API (without blocking: the calls are asynchronous). Never fails:
   * a language whose image cannot be read (Podman down) has no version and no digest (its contest
   * compiles get 503), and the start goes on.
   */
  static Future<Images> images(Vertx vertx, RunnerConfig config) {
    PodmanClient podman = new PodmanClient(vertx, config.podmanSocket());
    Map<String, List<String>> languagesOf = new LinkedHashMap<>();
    config.images().forEach((lang, image) -> languagesOf.computeIfAbsent(image, i -> new ArrayList<>()).add(lang));
    Map<String, String> versions = new ConcurrentHashMap<>(); // the answers may come on different event loops
    Map<String, String> digests = new ConcurrentHashMap<>();
    List<Future<?>> reads = new ArrayList<>();
    languagesOf.forEach((image, langs) -> reads.add(podman.inspectImage(image).map(inspection -> {
      String id = inspection.getString("Id");
      if (id != null) langs.forEach(lang -> digests.put(lang, id));
      JsonObject labels = inspection.getJsonObject("Labels");
      String label = labels == null ? null : labels.getString(VERSIONS_LABEL);
      if (label == null) throw new IllegalStateException("it has no label " + VERSIONS_LABEL);
      JsonObject byLanguage = new JsonObject(label);
      for (String lang : langs) {
        if (byLanguage.getValue(lang) instanceof String v && !v.isBlank()) versions.put(lang, v);
      }
      return null;
    }).onFailure(err -> LOG.warning("no toolchain versions for " + langs + ": image " + image + ": " + err.getMessage()))));
    return Future.join(reads).transform(ar -> {
      podman.close();
      return Future.succeededFuture(new Images(Map.copyOf(versions), Map.copyOf(digests)));
    });
  }
}

package dev.runner;

import dev.runner.cluster.Dispatcher;
import dev.runner.cluster.JobStore;
import dev.runner.cluster.NodeInfo;
import dev.runner.cluster.Nodes;
import dev.runner.config.RunnerConfig;
import dev.runner.contest.ContestApi;
import dev.runner.coordinator.JobCoordinator;
import dev.runner.http.HttpVerticle;
import dev.runner.metrics.RunnerMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * For unit tests of the HTTP and contest APIs without Hazelcast: one node, never leaving, that
 * serves the configured languages with a free sandbox each, and job records in memory. The
 * test's own consumers at {@link #address} stand in for its worker.
 */
public final class StandInCluster {
  public static final String NODE = "stand-in-node";

  private StandInCluster() {}

  public static String address(Dispatcher.Kind kind, String language) {
    return Dispatcher.address(NODE, kind, language);
  }

  public static Nodes nodes(RunnerConfig config) {
    Map<String, String> langs = new HashMap<>();
    Map<String, Integer> free = new HashMap<>();
    config.languages().keySet().forEach(l -> {
      langs.put(l, "");
      free.put(l, 1);
    });
    NodeInfo self = new NodeInfo(NODE, "127.0.0.1:" + config.httpPort(), langs, free, free, Map.of(), 0, 0, 0, false,
        config.sandboxLabel(), config.stateDir().toString(), "stand-in", System.currentTimeMillis());
    return new Nodes() {
      @Override
      public String selfId() {
        return NODE;
      }

      @Override
      public List<NodeInfo> nodes() {
        return List.of(self);
      }

      @Override
      public void onLeft(Consumer<NodeInfo> listener) {}
    };
  }

  public static Dispatcher dispatcher(Vertx vertx, RunnerConfig config) {
    return new Dispatcher(vertx, nodes(config));
  }

  /** The node's HTTP verticle, its contest API without a cache (interview jobs and failures only). */
  public static HttpVerticle http(Vertx vertx, RunnerConfig config) {
    Nodes nodes = nodes(config);
    Dispatcher dispatcher = new Dispatcher(vertx, nodes);
    ContestApi contest = new ContestApi(vertx, config, null, null, dispatcher);
    return new HttpVerticle(config, new RunnerMetrics(config), contest, new JobCoordinator(vertx, config, nodes, dispatcher, new MemoryJobs(), contest));
  }

  /** Job records in a map. */
  static final class MemoryJobs implements JobStore {
    private final Map<String, JsonObject> records = new ConcurrentHashMap<>();
    private final Map<String, JsonObject> events = new ConcurrentHashMap<>();

    @Override
    public Future<Boolean> put(String id, JsonObject record) {
      records.put(id, record.copy());
      return Future.succeededFuture(true);
    }

    @Override
    public Future<JsonObject> get(String id) {
      JsonObject r = records.get(id);
      return Future.succeededFuture(r == null ? null : r.copy());
    }

    @Override
    public Future<Boolean> putEvent(String id, int attempt, int seq, JsonObject event) {
      events.put(id + "#" + seq, event.copy());
      return Future.succeededFuture(true);
    }

    @Override
    public Future<JsonArray> events(String id, int fromSeq) {
      JsonArray found = new JsonArray();
      for (int seq = fromSeq; events.containsKey(id + "#" + seq); seq++) found.add(events.get(id + "#" + seq).copy());
      return Future.succeededFuture(found);
    }

    @Override
    public Future<JsonObject> claim(String id, String dead, String self) {
      return Future.succeededFuture(null); // one node: no survivor to claim anything
    }

    @Override
    public Future<List<JsonObject>> orphansOf(String node) {
      return Future.succeededFuture(List.of());
    }
  }
}

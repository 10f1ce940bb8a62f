package dev.runner.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every accepted job's record, in a Hazelcast map (one backup, so a member's death loses none),
 * readable from any node: its state, the node coordinating it, its attempt, its request (kept
 * until it is done, so a survivor can run it again) and its result; and its events, for late
 * WebSocket subscribers. Both expire {@code cluster.job_ttl_s} after their last write.
 */
public final class JobRecords implements JobStore {
  public static final String RECORDS = "runner.jobs";
  public static final String EVENTS = "runner.jobs.events";
  private final Vertx vertx;
  private final IMap<String, HazelcastJsonValue> records;
  private final IMap<String, String> events;

  public JobRecords(Vertx vertx, HazelcastInstance hz) {
    this.vertx = vertx;
    this.records = hz.getMap(RECORDS);
    this.events = hz.getMap(EVENTS);
  }

  /** The maps' TTL and backups, into a member's configuration. */
  static void configure(Config hz, Duration ttl) {
    for (String name : List.of(RECORDS, EVENTS)) {
      hz.addMapConfig(new MapConfig(name).setTimeToLiveSeconds((int) Math.min(Integer.MAX_VALUE, ttl.toSeconds()))
          .setBackupCount(1));
    }
  }

  @Override
  public Future<Void> put(String id, JsonObject record) {
    return Future.fromCompletionStage(records.setAsync(id, new HazelcastJsonValue(record.encode())), vertx.getOrCreateContext());
  }

  @Override
  public Future<JsonObject> get(String id) {
    return Future.fromCompletionStage(records.getAsync(id), vertx.getOrCreateContext())
        .map(v -> v == null ? null : new JsonObject(v.getValue()));
  }

  @Override
  public Future<Void> putEvents(String id, JsonArray all) {
    return Future.fromCompletionStage(events.setAsync(id, all.encode()), vertx.getOrCreateContext());
  }

  @Override
  public Future<JsonArray> events(String id) {
    return Future.fromCompletionStage(events.getAsync(id), vertx.getOrCreateContext())
        .map(v -> v == null ? new JsonArray() : new JsonArray(v));
  }

  @Override
  public Future<List<JsonObject>> orphansOf(String node) {
    return vertx.executeBlocking(() -> {
      List<JsonObject> found = new ArrayList<>();
      for (Map.Entry<String, HazelcastJsonValue> e : records.entrySet(Predicates.and(
          Predicates.equal("coordinator", node), Predicates.equal("async", true), Predicates.notEqual("state", "done")))) {
        found.add(new JsonObject(e.getValue().getValue()));
      }
      return found;
    });
  }
}

package dev.runner.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastJsonValue;
import com.hazelcast.map.EntryProcessor;
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
  private final IMap<String, HazelcastJsonValue> events;

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
  public Future<Boolean> put(String id, JsonObject record) {
    return write(records, id, record.getInteger("attempt"), record);
  }

  /** Stores {@code value} unless the entry holds a later attempt's (the job was adopted since): the answer says which. */
  private Future<Boolean> write(IMap<String, HazelcastJsonValue> map, String id, int attempt, JsonObject value) {
    return Future.fromCompletionStage(map.submitToKey(id, new LatestAttempt(attempt, value.encode())), vertx.getOrCreateContext());
  }

  /**
   * Sets the entry to a value of attempt {@code attempt} unless it holds a later attempt's: a
   * coordinator presumed dead, whose job a survivor adopted, changes nothing when it writes late.
   * Runs on the entry's partition (and its backup), so the check and the write are one.
   */
  static final class LatestAttempt implements EntryProcessor<String, HazelcastJsonValue, Boolean> {
    private static final long serialVersionUID = 1L;
    private final int attempt;
    private final String value;

    LatestAttempt(int attempt, String value) {
      this.attempt = attempt;
      this.value = value;
    }

    @Override
    public Boolean process(Map.Entry<String, HazelcastJsonValue> entry) {
      HazelcastJsonValue current = entry.getValue();
      if (current != null && new JsonObject(current.getValue()).getInteger("attempt", 0) > attempt) return false;
      entry.setValue(new HazelcastJsonValue(value));
      return true;
    }
  }

  @Override
  public Future<JsonObject> get(String id) {
    return Future.fromCompletionStage(records.getAsync(id), vertx.getOrCreateContext())
        .map(v -> v == null ? null : new JsonObject(v.getValue()));
  }

  @Override
  public Future<Boolean> putEvents(String id, int attempt, JsonArray all) {
    return write(events, id, attempt, new JsonObject().put("attempt", attempt).put("events", all));
  }

  @Override
  public Future<JsonArray> events(String id) {
    return Future.fromCompletionStage(events.getAsync(id), vertx.getOrCreateContext())
        .map(v -> v == null ? new JsonArray() : new JsonObject(v.getValue()).getJsonArray("events"));
  }

  @Override
  public Future<List<JsonObject>> orphansOf(String node) {
    return vertx.executeBlocking(() -> {
      List<JsonObject> found = new ArrayList<>();
      for (Map.Entry<String, HazelcastJsonValue> e : records.entrySet(Predicates.and(
          Predicates.equal("coordinator", node), Predicates.equal("async", true), Predicates.in("state", "queued", "running")))) {
        found.add(new JsonObject(e.getValue().getValue()));
      }
      return found;
    });
  }
}

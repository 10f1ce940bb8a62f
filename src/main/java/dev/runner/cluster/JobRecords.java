package dev.runner.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MaxSizePolicy;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every accepted job's record, in a Hazelcast map (one backup, so a member's death loses none),
 * readable from any node: its state, the node coordinating it, its attempt, its request (an
 * asynchronous job's, kept until it ends, so a survivor can run it again) and its result; and its
 * events, one entry each (key "id#seq"), for late WebSocket subscribers. Both expire {@code
 * cluster.job_ttl_s} after their last write, and the least recently used go first when they hold
 * more than a tenth of a member's heap. Only a job's latest attempt writes (an entry processor
 * checks it where the entry lives), so a coordinator presumed dead changes nothing once a survivor
 * claimed its job.
 */
public final class JobRecords implements JobStore {
  public static final String RECORDS = "runner.jobs";
  public static final String EVENTS = "runner.jobs.events";
  /** Events read at once by a subscriber catching up. */
  private static final int EVENT_BATCH = 64;
  private final Vertx vertx;
  private final IMap<String, HazelcastJsonValue> records;
  private final IMap<String, HazelcastJsonValue> events;

  public JobRecords(Vertx vertx, HazelcastInstance hz) {
    this.vertx = vertx;
    this.records = hz.getMap(RECORDS);
    this.events = hz.getMap(EVENTS);
  }

  /** The maps' TTL, eviction and backups, into a member's configuration. */
  static void configure(Config hz, Duration ttl) {
    for (String name : List.of(RECORDS, EVENTS)) {
      hz.addMapConfig(new MapConfig(name).setTimeToLiveSeconds((int) Math.min(Integer.MAX_VALUE, ttl.toSeconds()))
          .setBackupCount(1)
          .setEvictionConfig(new EvictionConfig().setEvictionPolicy(EvictionPolicy.LRU)
              .setMaxSizePolicy(MaxSizePolicy.USED_HEAP_PERCENTAGE).setSize(10)));
    }
  }

  @Override
  public Future<Boolean> put(String id, JsonObject record) {
    return write(records, id, record.getInteger("attempt"), record);
  }

  @Override
  public Future<JsonObject> get(String id) {
    return Future.fromCompletionStage(records.getAsync(id), vertx.getOrCreateContext())
        .map(v -> v == null ? null : new JsonObject(v.getValue()));
  }

  @Override
  public Future<Boolean> putEvent(String id, int attempt, int seq, JsonObject event) {
    return write(events, id + "#" + seq, attempt, event.copy().put("attempt", attempt));
  }

  @Override
  public Future<JsonArray> events(String id, int fromSeq) {
    return eventsFrom(id, fromSeq, new JsonArray());
  }

  private Future<JsonArray> eventsFrom(String id, int fromSeq, JsonArray found) {
    Set<String> keys = new LinkedHashSet<>();
    for (int seq = fromSeq; seq < fromSeq + EVENT_BATCH; seq++) keys.add(id + "#" + seq);
    return vertx.executeBlocking(() -> events.getAll(keys), false).compose(batch -> {
      for (String key : keys) { // in order, up to the first missing
        HazelcastJsonValue v = batch.get(key);
        if (v == null) return Future.succeededFuture(found);
        JsonObject event = new JsonObject(v.getValue());
        event.remove("attempt");
        found.add(event);
      }
      return eventsFrom(id, fromSeq + EVENT_BATCH, found);
    });
  }

  /** Stores {@code value} unless the entry holds a later attempt's (the job was claimed since): the answer says which. */
  private Future<Boolean> write(IMap<String, HazelcastJsonValue> map, String key, int attempt, JsonObject value) {
    return Future.fromCompletionStage(map.submitToKey(key, new LatestAttempt(attempt, value.encode())), vertx.getOrCreateContext());
  }

  /** Sets the entry to a value of attempt {@code attempt} unless it holds a later attempt's. */
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
  public Future<JsonObject> claim(String id, String dead, String self) {
    return Future.fromCompletionStage(records.submitToKey(id, new Claim(dead, self)), vertx.getOrCreateContext())
        .map(v -> v == null ? null : new JsonObject(v));
  }

  /**
   * Moves an unfinished job of {@code dead} to {@code self} as the next attempt, where the record
   * lives: of the survivors that try, one wins. Returns the record taken, or null.
   */
  static final class Claim implements EntryProcessor<String, HazelcastJsonValue, String> {
    private static final long serialVersionUID = 1L;
    private final String dead;
    private final String self;

    Claim(String dead, String self) {
      this.dead = dead;
      this.self = self;
    }

    @Override
    public String process(Map.Entry<String, HazelcastJsonValue> entry) {
      if (entry.getValue() == null) return null;
      JsonObject r = new JsonObject(entry.getValue().getValue());
      String state = r.getString("state");
      if (!dead.equals(r.getString("coordinator")) || !(state.equals("queued") || state.equals("running"))) return null;
      r.put("coordinator", self).put("attempt", r.getInteger("attempt", 1) + 1);
      entry.setValue(new HazelcastJsonValue(r.encode()));
      return r.encode();
    }
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

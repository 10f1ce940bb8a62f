package dev.runner.cache;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import dev.runner.cache.ContentCache.Entry;
import dev.runner.cache.ContentCache.Kind;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;

/**
 * The cluster's index, in Hazelcast: per kind a map {@code runner.cache.<kind>} of key → {@link Item}
 * (as JSON text: a plain string needs no class of ours to be read), whose entries expire the TTL after
 * their last write; and {@code runner.cache.nodes}, node id → "host:port" of the node's cache server.
 * Holders change only inside the entry's partition (an {@link Update} sent there), so two nodes adding
 * themselves at once both stay. Every call is asynchronous: none blocks an event loop.
 */
final class CacheIndex {
  static final String NODES = "runner.cache.nodes";

  static String mapName(Kind kind) {
    return "runner.cache." + kind.tag();
  }

  /** The maps' settings (before the member starts): the TTL on the entries, a backup of each on another member. */
  static void configure(Config hz, Duration ttl) {
    int ttlSeconds = (int) Math.min(Integer.MAX_VALUE, Math.max(1, ttl.toSeconds()));
    for (Kind kind : Kind.values()) {
      hz.addMapConfig(new MapConfig(mapName(kind)).setTimeToLiveSeconds(ttlSeconds).setBackupCount(1));
    }
    hz.addMapConfig(new MapConfig(NODES).setBackupCount(1));
  }

  /** What the index knows of a key: its bytes' sha256 and size, its owner's meta, the nodes holding the bytes. */
  record Item(String sha256, long bytes, JsonObject meta, Set<String> holders) {
    static Item parse(String json) {
      if (json == null) return null;
      JsonObject o = new JsonObject(json);
      Set<String> holders = new TreeSet<>();
      o.getJsonArray("holders", new JsonArray()).forEach(h -> holders.add((String) h));
      return new Item(o.getString("sha256"), o.getLong("bytes"), o.getJsonObject("meta", new JsonObject()), holders);
    }

    String json() {
      return new JsonObject().put("sha256", sha256).put("bytes", bytes).put("meta", meta)
          .put("holders", new JsonArray(java.util.List.copyOf(holders))).encode();
    }

    Entry entry(Kind kind, String key) {
      return new Entry(kind, key, sha256, bytes, meta.copy());
    }
  }

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;

  CacheIndex(Vertx vertx, HazelcastInstance hazelcast) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
  }

  /** The key's item, or null. */
  Future<Item> get(Kind kind, String key) {
    return async(map(kind).getAsync(key)).map(Item::parse);
  }

  /** {@code node} now holds these bytes for {@code key}: a new item (or, for other bytes, a replaced one), or one more holder. */
  Future<Item> stored(Kind kind, String key, String sha256, long bytes, JsonObject meta, String node) {
    return update(kind, key, new Update(Update.Op.STORE, sha256, bytes, meta.encode(), node));
  }

  /** {@code node} holds the bytes too (nothing changes if the key now has other bytes). */
  Future<Item> addHolder(Kind kind, String key, String sha256, String node) {
    return update(kind, key, new Update(Update.Op.ADD, sha256, 0, null, node));
  }

  /** {@code node} no longer holds the bytes; the item goes with its last holder. */
  Future<Item> removeHolder(Kind kind, String key, String sha256, String node) {
    return update(kind, key, new Update(Update.Op.REMOVE, sha256, 0, null, node));
  }

  Future<Void> register(String node, String hostPort) {
    return async(nodes().setAsync(node, hostPort));
  }

  Future<Void> unregister(String node) {
    return async(nodes().removeAsync(node)).mapEmpty();
  }

  /** The "host:port" of a node's cache server, or null. */
  Future<String> address(String node) {
    return async(nodes().getAsync(node));
  }

  private Future<Item> update(Kind kind, String key, Update u) {
    return async(map(kind).submitToKey(key, u)).map(Item::parse);
  }

  private IMap<String, String> map(Kind kind) {
    return hazelcast.getMap(mapName(kind));
  }

  private IMap<String, String> nodes() {
    return hazelcast.getMap(NODES);
  }

  /** Hazelcast completes on its own threads; the result comes back on a Vert.x context. */
  private <T> Future<T> async(CompletionStage<T> stage) {
    return Future.fromCompletionStage(stage, vertx.getOrCreateContext());
  }

  /** A change to one item, run where its partition lives (and again on the backup): returns the item after it, as JSON. */
  static final class Update implements EntryProcessor<String, String, String> {
    private static final long serialVersionUID = 1L;

    enum Op { STORE, ADD, REMOVE }

    private final Op op;
    private final String sha256;
    private final long bytes;
    private final String meta;
    private final String node;

    Update(Op op, String sha256, long bytes, String meta, String node) {
      this.op = op;
      this.sha256 = sha256;
      this.bytes = bytes;
      this.meta = meta;
      this.node = node;
    }

    @Override
    public String process(Map.Entry<String, String> entry) {
      Item cur = Item.parse(entry.getValue());
      boolean same = cur != null && cur.sha256().equals(sha256);
      Item next;
      switch (op) {
        case STORE -> {
          Set<String> holders = same ? new TreeSet<>(cur.holders()) : new TreeSet<>();
          holders.add(node);
          next = new Item(sha256, bytes, new JsonObject(meta), holders);
        }
        case ADD -> {
          if (!same || cur.holders().contains(node)) return entry.getValue();
          Set<String> holders = new TreeSet<>(cur.holders());
          holders.add(node);
          next = new Item(cur.sha256(), cur.bytes(), cur.meta(), holders);
        }
        default -> {
          if (!same || !cur.holders().contains(node)) return entry.getValue();
          Set<String> holders = new TreeSet<>(cur.holders());
          holders.remove(node);
          if (holders.isEmpty()) {
            entry.setValue(null); // no node has the bytes: the key is gone
            return null;
          }
          next = new Item(cur.sha256(), cur.bytes(), cur.meta(), holders);
        }
      }
      String json = next.json();
      entry.setValue(json);
      return json;
    }
  }
}

package dev.runner.cache;

import com.hazelcast.config.Config;
import dev.runner.cache.CacheIndex.Item;
import dev.runner.config.TrustSettings;
import dev.runner.metrics.RunnerMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * The cluster's content cache as one node runs it: bytes in a {@link DiskStore} on this node's disk,
 * the {@link CacheIndex} in Hazelcast saying which nodes hold each key's bytes, and a
 * {@link PeerTransport} through which nodes fetch bytes from each other. A put is on a second node
 * (one asked, over the event bus at {@link #replicateAddress}, to fetch it from us) before it
 * completes, when another member runs a cache. Safe from any thread and event loop: the store guards
 * its own state, the index is Hazelcast's, disk I/O runs on worker threads.
 *
 * <p>Metrics: a lookup that finds an entry some live node holds, and an open that delivers the bytes
 * (from this disk or fetched), are hits; a lookup that finds none and an open that fails with
 * {@link CacheMissException} are misses. A fetch made for replication counts neither way.
 */
public final class ClusterCache implements ContentCache {
  private static final Logger LOG = Logger.getLogger(ClusterCache.class.getName());
  private static final long REPLICATE_TIMEOUT_MS = 60_000;

  private final Vertx vertx;
  private final HazelcastClusterManager manager;
  private final CacheSettings settings;
  private final RunnerMetrics metrics;
  private final String nodeId;
  private final DiskStore store;
  private final CacheIndex index;
  private final PeerTransport peers;
  private volatile MessageConsumer<JsonObject> replicas;
  private volatile long sweepTimer = -1;

  public ClusterCache(Vertx vertx, HazelcastClusterManager manager, CacheSettings settings, TrustSettings trust,
                      RunnerMetrics metrics) {
    this.vertx = vertx;
    this.manager = manager;
    this.settings = settings;
    this.metrics = metrics;
    this.nodeId = manager.getNodeId();
    this.store = new DiskStore(settings, (kind, bytes) -> metrics.cacheSizeBytes(kind.tag(), bytes));
    this.index = new CacheIndex(vertx, manager.getHazelcastInstance());
    this.peers = new PeerTransport(vertx, store, settings, trust);
  }

  /** The index's maps in a member's Hazelcast configuration (TTL, backups): call before the member starts. */
  public static void configure(Config hz, CacheSettings settings) {
    CacheIndex.configure(hz, settings.ttl());
  }

  /** Where a node's cache takes requests to fetch a key from its holders. */
  public static String replicateAddress(String nodeId) {
    return "runner.cache.replicate." + nodeId;
  }

  /**
   * Scans the dir (so a restarted node knows its bytes again), starts the peers' server, takes
   * replication requests and publishes this node's cache address; then sweeps expired files
   * periodically.
   */
  public Future<Void> start() {
    return blocking(store::scan).compose(this::forget)
        .compose(v -> peers.listen())
        .compose(port -> {
          replicas = vertx.eventBus().consumer(replicateAddress(nodeId), this::onReplicate);
          return replicas.completion().compose(v -> index.register(nodeId, settings.host() + ":" + port));
        })
        .onSuccess(v -> {
          long period = Math.max(250, Math.min(60_000, settings.ttl().toMillis() / 4));
          sweepTimer = vertx.setPeriodic(period, id -> sweep());
        });
  }

  /** Stops the server and replication, withdraws this node's address; the files stay on disk. */
  public Future<Void> close() {
    if (sweepTimer >= 0) vertx.cancelTimer(sweepTimer);
    MessageConsumer<JsonObject> r = replicas;
    Future<Void> stopped = r == null ? Future.succeededFuture() : r.unregister();
    return stopped.compose(v -> index.unregister(nodeId)).eventually(peers::close);
  }

  @Override
  public Future<Entry> put(Kind kind, String key, Buffer bytes, JsonObject meta) {
    JsonObject m = meta == null ? new JsonObject() : meta.copy();
    return blocking(() -> store.write(kind, key, bytes)).compose(sha -> {
      Entry entry = new Entry(kind, key, sha, bytes.length(), m);
      return index.stored(kind, key, sha, bytes.length(), m, nodeId)
          .compose(item -> replicate(entry))
          .map(entry)
          .eventually(() -> {
            release(kind, sha);
            return Future.succeededFuture();
          });
    });
  }

  @Override
  public Future<Entry> lookup(Kind kind, String key) {
    return index.get(kind, key).map(item -> {
      Entry e = item != null && item.holders().stream().anyMatch(live()::contains) ? item.entry(kind, key) : null;
      metrics.cacheLookup(kind.tag(), e != null);
      return e;
    });
  }

  @Override
  public Future<Pinned> open(Kind kind, String key) {
    return open(kind, key, true);
  }

  private Future<Pinned> open(Kind kind, String key, boolean counted) {
    Future<Pinned> opened = index.get(kind, key).compose(item -> {
      if (item == null) return Future.failedFuture(new CacheMissException("no " + kind.tag() + " entry for " + key));
      Entry entry = item.entry(kind, key);
      return local(entry).compose(path -> path != null ? held(item, entry, path) : fetch(item, entry));
    });
    if (!counted) return opened;
    return opened.onComplete(ar -> {
      if (ar.succeeded() || ar.cause() instanceof CacheMissException) metrics.cacheLookup(kind.tag(), ar.succeeded());
    });
  }

  /** This node's pinned copy of the entry's bytes (checked first if a scan found it), or null. */
  private Future<Path> local(Entry e) {
    Path path = store.pin(e.kind(), e.sha256(), e.key());
    if (path == null || !store.unverified(e.kind(), e.sha256())) return Future.succeededFuture(path);
    return blocking(() -> store.verify(e.kind(), e.sha256())).compose(bad -> {
      if (bad == null) return Future.succeededFuture(path);
      store.unpin(e.kind(), e.sha256());
      return forget(List.of(bad)).map((Path) null);
    });
  }

  /** Bytes this node has: it is a holder in the index (again, after a restart), and they are pinned. */
  private Future<Pinned> held(Item item, Entry entry, Path path) {
    Pinned pinned = new Pin(entry, path);
    if (item.holders().contains(nodeId)) return Future.succeededFuture(pinned);
    return index.addHolder(entry.kind(), entry.key(), entry.sha256(), nodeId).<Pinned>map(i -> pinned)
        .onFailure(err -> pinned.release());
  }

  /** The bytes from the first live holder that sends the right ones; a miss when none does. */
  private Future<Pinned> fetch(Item item, Entry entry) {
    List<String> holders = new ArrayList<>(item.holders());
    holders.retainAll(live());
    holders.remove(nodeId);
    Collections.shuffle(holders); // spread the fetches over the holders
    return fetchFrom(entry, holders, 0).compose(path -> {
      Pinned pinned = new Pin(entry, path);
      return index.addHolder(entry.kind(), entry.key(), entry.sha256(), nodeId).<Pinned>map(i -> pinned)
          .onFailure(err -> pinned.release())
          .onSuccess(p -> evictSoon());
    });
  }

  private Future<Path> fetchFrom(Entry e, List<String> holders, int i) {
    if (i == holders.size()) {
      return Future.failedFuture(new CacheMissException("no live node holds the " + e.kind().tag() + " " + e.key()));
    }
    String holder = holders.get(i);
    Path temp = store.tempFile(e.kind());
    return index.address(holder)
        .compose(addr -> addr == null ? Future.<Void>failedFuture("it runs no cache")
            : peers.fetch(addr, e.kind(), e.sha256(), e.bytes(), temp))
        .compose(v -> blocking(() -> store.commit(e.kind(), e.sha256(), temp, e.bytes(), e.key())))
        .recover(err -> {
          LOG.info("cache: skipped holder " + holder + " of " + e.kind().tag() + " " + e.key() + ": " + err.getMessage());
          return blocking(() -> Files.deleteIfExists(temp)).transform(x -> fetchFrom(e, holders, i + 1));
        });
  }

  /** Asks the other members that run a cache, one after another, to fetch the entry; a warning if none could. */
  private Future<Void> replicate(Entry e) {
    List<String> others = new ArrayList<>(live());
    others.remove(nodeId);
    Collections.shuffle(others);
    List<Future<String>> addresses = others.stream().map(n -> index.address(n).otherwise((String) null)).toList();
    return Future.join(addresses).transform(x -> {
      List<String> targets = new ArrayList<>();
      for (int i = 0; i < others.size(); i++) if (addresses.get(i).result() != null) targets.add(others.get(i));
      return replicateTo(e, targets, 0);
    });
  }

  private Future<Void> replicateTo(Entry e, List<String> targets, int i) {
    if (i == targets.size()) {
      if (!targets.isEmpty()) LOG.warning("cache: no other node took a copy of " + e.kind().tag() + " " + e.key());
      return Future.succeededFuture();
    }
    JsonObject request = new JsonObject().put("kind", e.kind().name()).put("key", e.key());
    return vertx.eventBus().request(replicateAddress(targets.get(i)), request,
            new DeliveryOptions().setSendTimeout(REPLICATE_TIMEOUT_MS))
        .<Void>mapEmpty()
        .recover(err -> {
          LOG.info("cache: " + targets.get(i) + " took no copy of " + e.kind().tag() + " " + e.key() + ": " + err.getMessage());
          return replicateTo(e, targets, i + 1);
        });
  }

  private void onReplicate(Message<JsonObject> msg) {
    Kind kind;
    String key;
    try {
      kind = Kind.valueOf(msg.body().getString("kind"));
      key = msg.body().getString("key");
    } catch (RuntimeException e) {
      msg.fail(400, "bad replication request");
      return;
    }
    open(kind, key, false).onComplete(ar -> {
      if (ar.failed()) {
        msg.fail(500, String.valueOf(ar.cause().getMessage()));
        return;
      }
      Pinned p = ar.result();
      // the bytes were stored again: a copy's TTL restarts with the original's
      blocking(() -> store.refresh(kind, p.entry().sha256())).onComplete(r -> {
        p.release();
        msg.reply("ok");
      });
    });
  }

  private Set<String> live() {
    return Set.copyOf(manager.getNodes());
  }

  private void release(Kind kind, String sha256) {
    store.unpin(kind, sha256);
    evictSoon();
  }

  private void evictSoon() {
    if (!store.overBudget()) return; // the common case: no worker thread for nothing
    blocking(store::evict).compose(this::forget)
        .onFailure(err -> LOG.warning("cache: eviction failed: " + err));
  }

  private void sweep() {
    blocking(() -> store.expire(System.currentTimeMillis())).compose(this::forget)
        .onFailure(err -> LOG.warning("cache: sweep failed: " + err));
  }

  /** Takes this node out of the holders of whatever left its disk. */
  private Future<Void> forget(List<DiskStore.Removed> removed) {
    List<Future<Item>> updates = new ArrayList<>();
    for (DiskStore.Removed r : removed) {
      for (String key : r.keys()) updates.add(index.removeHolder(r.kind(), key, r.sha256(), nodeId));
    }
    return Future.join(updates).<Void>mapEmpty()
        .onFailure(err -> LOG.warning("cache: could not update the index after removing files: " + err));
  }

  private <T> Future<T> blocking(Callable<T> task) {
    return vertx.executeBlocking(task, false); // the store guards itself: no need to queue behind each other
  }

  private final class Pin implements Pinned {
    private final Entry entry;
    private final Path path;
    private final AtomicBoolean released = new AtomicBoolean();

    Pin(Entry entry, Path path) {
      this.entry = entry;
      this.path = path;
    }

    @Override
    public Entry entry() {
      return entry;
    }

    @Override
    public Path path() {
      return path;
    }

    @Override
    public void release() {
      if (released.compareAndSet(false, true)) ClusterCache.this.release(entry.kind(), entry.sha256());
    }
  }
}

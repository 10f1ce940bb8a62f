package dev.runner.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.TestEnvironment;
import dev.runner.cache.ContentCache.Entry;
import dev.runner.cache.ContentCache.Kind;
import dev.runner.cache.ContentCache.Pinned;
import dev.runner.cluster.Cluster;
import dev.runner.config.RunnerConfig;
import dev.runner.config.TrustSettings;
import dev.runner.metrics.RunnerMetrics;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cache on real Hazelcast members: three members shared by the tests (each test starts its own
 * caches on them, with dirs of its own, and uses keys of its own), and members of their own where a
 * test stops one or needs another TTL.
 */
class ClusterCacheTest {
  private static final String CLUSTER = TestEnvironment.label("cache-test");
  private static Node m1, m2, m3;

  @TempDir
  Path tmp;

  private final List<ClusterCache> caches = new ArrayList<>();
  private final List<Node> ownNodes = new ArrayList<>();

  /** A started member, and the configuration it was started with. */
  private record Node(RunnerConfig config, Cluster.Member member) {
    String id() {
      return member.manager().getNodeId();
    }

    void close() {
      member.vertx().close().await();
    }
  }

  @BeforeAll
  static void members() {
    m1 = node(CLUSTER, Map.of());
    m2 = node(CLUSTER, Map.of());
    m3 = node(CLUSTER, Map.of());
    assertEquals(3, m1.member().manager().getNodes().size());
  }

  @AfterAll
  static void closeMembers() {
    for (Node n : new Node[] {m3, m2, m1}) if (n != null) n.close();
  }

  @AfterEach
  void closeCaches() {
    for (ClusterCache c : caches) {
      try {
        c.close().otherwiseEmpty().await();
      } catch (java.util.concurrent.RejectedExecutionException closedWithItsMember) {
        // its Vert.x is closed already
      }
    }
    ownNodes.forEach(Node::close);
  }

  private static Node node(String cluster, Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(extra);
    env.put("RUNNER_CLUSTER_NAME", cluster);
    RunnerConfig config = TestEnvironment.node(1, env);
    return new Node(config, Cluster.start(config, new RunnerMetrics(config)).await());
  }

  private Node ownNode(String cluster, Map<String, String> extra) {
    Node n = node(cluster, extra);
    ownNodes.add(n);
    return n;
  }

  private record Started(ClusterCache cache, Path dir, RunnerMetrics metrics) {
    Path file(Kind kind, String sha) {
      return dir.resolve(kind.tag()).resolve(sha);
    }

    double hits(Kind kind) {
      return metrics.registry().get("runner.cache.hits").tag("cache", kind.tag()).counter().count();
    }

    double misses(Kind kind) {
      return metrics.registry().get("runner.cache.misses").tag("cache", kind.tag()).counter().count();
    }

    double size(Kind kind) {
      return metrics.registry().get("runner.cache.size").tag("cache", kind.tag()).gauge().value();
    }
  }

  private Started cache(Node n, String dirName) {
    return cache(n, dirName, CacheSettings.of(n.config()));
  }

  /** A started cache on {@code n}, in {@code tmp/dirName} (the same name again: the same dir, as after a restart). */
  private Started cache(Node n, String dirName, CacheSettings base) {
    return cache(n, dirName, base, n.config().trust());
  }

  private Started cache(Node n, String dirName, CacheSettings base, TrustSettings trust) {
    Path dir = tmp.resolve(dirName);
    CacheSettings s = new CacheSettings(dir, base.maxBytes(), base.ttl(), base.host(), base.port());
    RunnerMetrics metrics = new RunnerMetrics(n.config());
    ClusterCache c = new ClusterCache(n.member().vertx(), n.member().manager(), s, trust, metrics);
    c.start().await();
    caches.add(c);
    return new Started(c, dir, metrics);
  }

  private static String key() {
    return "k-" + UUID.randomUUID();
  }

  private static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  /** What the index says of a key, read straight from Hazelcast. */
  private static CacheIndex.Item indexed(Node n, Kind kind, String key) {
    return CacheIndex.Item.parse(n.member().manager().getHazelcastInstance()
        .<String, String>getMap(CacheIndex.mapName(kind)).get(key));
  }

  private static void until(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("not within 15 s: " + what);
      Thread.sleep(50);
    }
  }

  private static Throwable failure(io.vertx.core.Future<?> f) {
    Throwable t = assertThrows(Throwable.class, f::await);
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  @Test
  void putThenOpenOnTheSameNode() throws Exception {
    Started a = cache(m1, "a"); // the only cache in the cluster: nobody to copy to
    byte[] content = "int main() { return 0; }".getBytes();
    String key = key();
    Entry put = a.cache().put(Kind.TOKEN, key, Buffer.buffer(content), new JsonObject().put("language", "c")).await();
    assertEquals(sha256(content), put.sha256());
    assertEquals(content.length, put.bytes());
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(a.dir())));
    assertArrayEquals(content, Files.readAllBytes(a.file(Kind.TOKEN, put.sha256())));

    Pinned p = a.cache().open(Kind.TOKEN, key).await();
    assertArrayEquals(content, Files.readAllBytes(p.path()));
    assertEquals(new JsonObject().put("language", "c"), p.entry().meta());
    p.release();
    p.release(); // idempotent
    assertEquals(put, a.cache().lookup(Kind.TOKEN, key).await());
    assertEquals(Set.of(m1.id()), indexed(m1, Kind.TOKEN, key).holders());

    assertInstanceOf(CacheMissException.class, failure(a.cache().open(Kind.TOKEN, key())));
    assertNull(a.cache().lookup(Kind.TOKEN, key()).await());
    assertNull(a.cache().lookup(Kind.INPUT, key).await()); // the kinds are separate caches
    assertEquals(2, a.hits(Kind.TOKEN));
    assertEquals(2, a.misses(Kind.TOKEN));
    assertEquals(1, a.misses(Kind.INPUT));
    assertEquals(content.length, a.size(Kind.TOKEN));
    assertEquals(0, a.size(Kind.INPUT));
  }

  @Test
  void openOnAnotherNodeFetchesVerifiesAndHolds() throws Exception {
    Started a = cache(m1, "a");
    byte[] content = bytes(300_000, 1); // several chunks
    String key = key();
    Entry put = a.cache().put(Kind.INPUT, key, Buffer.buffer(content), new JsonObject()).await();
    Started b = cache(m2, "b"); // started after the put: it has no copy
    assertFalse(Files.exists(b.file(Kind.INPUT, put.sha256())));

    assertEquals(put, b.cache().lookup(Kind.INPUT, key).await());
    Pinned p = b.cache().open(Kind.INPUT, key).await();
    assertEquals(b.file(Kind.INPUT, put.sha256()), p.path());
    assertArrayEquals(content, Files.readAllBytes(p.path()));
    p.release();
    assertEquals(Set.of(m1.id(), m2.id()), indexed(m1, Kind.INPUT, key).holders());
    assertEquals(2, b.hits(Kind.INPUT));
    assertEquals(content.length, b.size(Kind.INPUT));
    try (var left = Files.list(b.dir().resolve("input"))) {
      assertEquals(List.of(put.sha256()), left.map(f -> f.getFileName().toString()).toList()); // no temp file left
    }
  }

  @Test
  void aPutIsOnASecondNodeWhenItCompletesAndOutlivesItsFirst() throws Exception {
    Node own = ownNode(CLUSTER, Map.of());
    Started a = cache(own, "a");
    Started b = cache(m1, "b"); // the only other cache: the copy's one place
    byte[] content = bytes(100_000, 2);
    String key = key();
    Entry put = a.cache().put(Kind.TOKEN, key, Buffer.buffer(content), new JsonObject()).await();
    assertArrayEquals(content, Files.readAllBytes(b.file(Kind.TOKEN, put.sha256()))); // no waiting
    assertEquals(Set.of(own.id(), m1.id()), indexed(m1, Kind.TOKEN, key).holders());
    assertEquals(0, b.hits(Kind.TOKEN) + b.misses(Kind.TOKEN)); // a copy is no open

    ownNodes.remove(own);
    own.close(); // its Hazelcast member leaves; the index lives on in the backups
    until("the member has left", () -> m1.member().manager().getNodes().size() == 3);
    Pinned pb = b.cache().open(Kind.TOKEN, key).await();
    assertArrayEquals(content, Files.readAllBytes(pb.path()));
    pb.release();

    Started c = cache(m2, "c");
    Pinned pc = c.cache().open(Kind.TOKEN, key).await(); // from b, the one live holder
    assertArrayEquals(content, Files.readAllBytes(pc.path()));
    pc.release();
  }

  /** Opens from many event loops at once: all get the bytes, one file, the pins all released. */
  @Test
  void concurrentOpensOfOneKeyShareOneFile() throws Exception {
    Started a = cache(m1, "a");
    byte[] content = bytes(200_000, 10);
    String key = key();
    Entry put = a.cache().put(Kind.INPUT, key, Buffer.buffer(content), new JsonObject()).await();
    Started b = cache(m2, "b");
    List<io.vertx.core.Future<Pinned>> opens = new ArrayList<>();
    io.vertx.core.Vertx vertx = m2.member().vertx();
    for (int i = 0; i < 16; i++) {
      io.vertx.core.Promise<Pinned> p = io.vertx.core.Promise.promise();
      vertx.runOnContext(v -> b.cache().open(Kind.INPUT, key).onComplete(p)); // each on an event loop
      opens.add(p.future());
    }
    io.vertx.core.Future.all(opens).await();
    for (io.vertx.core.Future<Pinned> f : opens) {
      assertArrayEquals(content, Files.readAllBytes(f.result().path()));
      f.result().release();
    }
    try (var left = Files.list(b.dir().resolve("input"))) {
      assertEquals(List.of(put.sha256()), left.map(f -> f.getFileName().toString()).toList());
    }
    assertEquals(content.length, b.size(Kind.INPUT));
    assertEquals(16, b.hits(Kind.INPUT));
  }

  @Test
  void wrongBytesAtAHolderAreRefused() throws Exception {
    Started a = cache(m1, "a");
    Started b = cache(m2, "b");
    byte[] content = bytes(50_000, 3);
    String key = key();
    Entry put = a.cache().put(Kind.TOKEN, key, Buffer.buffer(content), new JsonObject()).await();
    assertTrue(Files.exists(b.file(Kind.TOKEN, put.sha256())));
    byte[] wrong = bytes(50_000, 4);
    Files.write(a.file(Kind.TOKEN, put.sha256()), wrong); // same size, other bytes
    Files.write(b.file(Kind.TOKEN, put.sha256()), wrong);

    Started c = cache(m3, "c");
    assertInstanceOf(CacheMissException.class, failure(c.cache().open(Kind.TOKEN, key)));
    assertFalse(Files.exists(c.file(Kind.TOKEN, put.sha256())));
    try (var left = Files.list(c.dir().resolve("token"))) {
      assertEquals(0, left.count()); // the refused bytes are gone with their temp files
    }
    assertEquals(1, c.misses(Kind.TOKEN));

    Files.write(a.file(Kind.TOKEN, put.sha256()), content); // one good holder again (b still sends wrong bytes)
    for (int i = 0; i < 3; i++) { // whichever holder c asks first, it ends with the right bytes
      Pinned p = c.cache().open(Kind.TOKEN, key).await();
      assertArrayEquals(content, Files.readAllBytes(p.path()));
      p.release();
    }
  }

  @Test
  void leastRecentlyUsedUnpinnedFilesGoFirst() throws Exception {
    Started a = cache(m1, "a", CacheSettings.of(m1.config()).withMaxBytes(100_000));
    String k1 = key(), k2 = key(), k3 = key(), k4 = key();
    Entry e1 = a.cache().put(Kind.INPUT, k1, Buffer.buffer(bytes(40_000, 11)), new JsonObject()).await();
    Entry e2 = a.cache().put(Kind.INPUT, k2, Buffer.buffer(bytes(40_000, 12)), new JsonObject()).await();
    Pinned p1 = a.cache().open(Kind.INPUT, k1).await(); // pinned
    a.cache().open(Kind.INPUT, k2).await().release(); // used after k1: k1 is the least recently used, but pinned
    Entry e3 = a.cache().put(Kind.INPUT, k3, Buffer.buffer(bytes(40_000, 13)), new JsonObject()).await();

    until("k2 evicted", () -> !Files.exists(a.file(Kind.INPUT, e2.sha256())));
    until("k2 out of the index", () -> indexed(m1, Kind.INPUT, k2) == null);
    assertNull(a.cache().lookup(Kind.INPUT, k2).await());
    assertTrue(Files.exists(a.file(Kind.INPUT, e1.sha256())));
    assertTrue(Files.exists(a.file(Kind.INPUT, e3.sha256())));
    assertEquals(80_000, a.size(Kind.INPUT));

    p1.release(); // now k1 may go: the next put over the budget takes it
    a.cache().put(Kind.INPUT, k4, Buffer.buffer(bytes(40_000, 14)), new JsonObject()).await();
    until("k1 evicted", () -> !Files.exists(a.file(Kind.INPUT, e1.sha256())));
    until("k1 out of the index", () -> indexed(m1, Kind.INPUT, k1) == null);
    assertNotNull(a.cache().lookup(Kind.INPUT, k3).await());
    assertInstanceOf(CacheMissException.class, failure(a.cache().open(Kind.INPUT, k1)));
  }

  @Test
  void aFractionalSizeInTheFileIsABudgetInBytes() {
    Map<String, String> env = new HashMap<>(System.getenv());
    RunnerConfig c = RunnerConfig.from(new JsonObject().put("runner", new JsonObject().put("max_cache_size_gb", 0.0001))
        .put("cache", new JsonObject().put("ttl_s", 3)), env);
    CacheSettings s = CacheSettings.of(c);
    assertEquals(107_374, s.maxBytes());
    assertEquals(Duration.ofSeconds(3), s.ttl());
    assertEquals(c.clusterHost(), s.host());
  }

  @Test
  void entriesAndTheirFilesExpireAfterTheTtl() throws Exception {
    Node own = ownNode(TestEnvironment.label("cache-ttl"), Map.of("RUNNER_CACHE_TTL_S", "3"));
    Started a = cache(own, "a");
    byte[] content = bytes(1000, 5);
    String key = key();
    long start = System.nanoTime();
    Entry put = a.cache().put(Kind.TOKEN, key, Buffer.buffer(content), new JsonObject()).await();
    assertNotNull(a.cache().lookup(Kind.TOKEN, key).await());
    until("the entry expired", () -> a.cache().lookup(Kind.TOKEN, key).await() == null);
    assertTrue(System.nanoTime() - start > Duration.ofMillis(1500).toNanos(), "expired early"); // Hazelcast counts whole seconds
    until("the file expired", () -> !Files.exists(a.file(Kind.TOKEN, put.sha256())));
    until("the size gauge follows", () -> a.size(Kind.TOKEN) == 0);
  }

  @Test
  void aRestartedNodeKnowsItsBytesAndDropsStrays() throws Exception {
    Started a = cache(m1, "a");
    byte[] content = bytes(5_000, 6);
    String key = key();
    Entry put = a.cache().put(Kind.TOKEN, key, Buffer.buffer(content), new JsonObject()).await();
    a.cache().close().await();
    Path token = a.dir().resolve("token");
    Files.write(token.resolve("not-a-sha256"), new byte[10]);
    Files.write(a.dir().resolve("input").resolve(".tmp-" + UUID.randomUUID()), new byte[10]); // a write cut short
    Path outside = Files.write(tmp.resolve("outside"), bytes(7_000, 7));
    Files.createSymbolicLink(token.resolve(sha256(bytes(7_000, 7))), outside);

    Started again = cache(m1, "a"); // the same dir
    try (var left = Files.list(token)) {
      assertEquals(List.of(put.sha256()), left.map(f -> f.getFileName().toString()).toList());
    }
    try (var left = Files.list(again.dir().resolve("input"))) {
      assertEquals(0, left.count());
    }
    assertArrayEquals(bytes(7_000, 7), Files.readAllBytes(outside)); // the link went, not its target
    assertEquals(content.length, again.size(Kind.TOKEN)); // known before any open
    Pinned p = again.cache().open(Kind.TOKEN, key).await();
    assertEquals(again.file(Kind.TOKEN, put.sha256()), p.path());
    assertArrayEquals(content, Files.readAllBytes(p.path()));
    p.release();
  }

  @Test
  void aLinkInTheCacheDirIsNeverFollowed() throws Exception {
    Started a = cache(m1, "a");
    byte[] content = bytes(5_000, 8);
    String key = key();
    Entry put = a.cache().put(Kind.TOKEN, key, Buffer.buffer(content), new JsonObject()).await();
    Path outside = Files.write(tmp.resolve("outside"), content); // even the right bytes, through a link
    Path file = a.file(Kind.TOKEN, put.sha256());
    Files.delete(file);
    Files.createSymbolicLink(file, outside);

    Started b = cache(m2, "b");
    assertInstanceOf(CacheMissException.class, failure(b.cache().open(Kind.TOKEN, key))); // a's server would not read it

    a.cache().close().await();
    Started again = cache(m1, "a");
    assertFalse(Files.exists(file, LinkOption.NOFOLLOW_LINKS)); // the scan deleted the link
    assertArrayEquals(content, Files.readAllBytes(outside));
    assertEquals(0, again.size(Kind.TOKEN));
    assertInstanceOf(CacheMissException.class, failure(again.cache().open(Kind.TOKEN, key)));
  }

  @Test
  void withClusterTlsOnlyTheClustersCertificatesFetch() throws Exception {
    Path one = certs("one"), two = certs("two");
    TrustSettings cluster = clusterTls(one, one);
    Started a = cache(m1, "a", CacheSettings.of(m1.config()), cluster);
    byte[] content = bytes(20_000, 9);
    String key = key();
    a.cache().put(Kind.TOKEN, key, Buffer.buffer(content), new JsonObject()).await();

    // trusts a's certificate, but presents one of another CA: a's server refuses it
    Started intruder = cache(m2, "x", CacheSettings.of(m2.config()), clusterTls(two, one));
    assertInstanceOf(CacheMissException.class, failure(intruder.cache().open(Kind.TOKEN, key)));
    Started plain = cache(m3, "p", CacheSettings.of(m3.config()), TrustSettings.NONE);
    assertInstanceOf(CacheMissException.class, failure(plain.cache().open(Kind.TOKEN, key)));

    Started b = cache(m2, "b", CacheSettings.of(m2.config()), cluster);
    Pinned p = b.cache().open(Kind.TOKEN, key).await();
    assertArrayEquals(content, Files.readAllBytes(p.path()));
    p.release();
  }

  /** A CA and a node certificate it signed (as ./runner certs makes them), in their own dir. */
  private Path certs(String name) throws Exception {
    Path d = Files.createDirectories(tmp.resolve("certs-" + name));
    openssl(d, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
        "-subj", "/CN=" + name + " CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout", "ca-key.pem", "-out", "ca.pem");
    openssl(d, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-subj", "/CN=" + name + " node", "-keyout", "node-key.pem", "-out", "node.csr");
    Files.writeString(d.resolve("ext"), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        + "extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:127.0.0.1\n");
    openssl(d, "x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
        "-days", "1", "-extfile", "ext", "-out", "node.pem");
    return d;
  }

  private static void openssl(Path dir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), "openssl " + args[0] + ": " + out);
  }

  /** Cluster TLS with the node certificate of {@code node}'s dir and the CA of {@code ca}'s. */
  private static TrustSettings clusterTls(Path node, Path ca) {
    return TrustSettings.fromEnvironment(Map.of("RUNNER_CLUSTER_TLS_CERT_FILE", node.resolve("node.pem").toString(),
        "RUNNER_CLUSTER_TLS_KEY_FILE", node.resolve("node-key.pem").toString(),
        "RUNNER_CLUSTER_TLS_CA_FILE", ca.resolve("ca.pem").toString()));
  }
}

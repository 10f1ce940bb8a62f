package dev.runner;

import dev.runner.config.RunnerConfig;
import dev.runner.podman.PodmanClient;
import dev.runner.sandbox.SandboxSpec;
import dev.runner.sandbox.SandboxTemplate;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/** What `./runner test` hands the tests: Podman's socket, the state dir and the images it built. */
public final class TestEnvironment {
  private static final AtomicInteger NODES = new AtomicInteger();

  private TestEnvironment() {}

  public static PodmanClient podman(Vertx vertx) {
    return new PodmanClient(vertx, System.getenv().getOrDefault("RUNNER_PODMAN_SOCKET", "/run/runner/podman.sock"));
  }

  public static Path stateDir() {
    return Path.of(System.getenv().getOrDefault("RUNNER_STATE", "/var/lib/runner"));
  }

  public static String image(String language) {
    String images = System.getenv("RUNNER_IMAGES");
    if (images == null) throw new IllegalStateException("RUNNER_IMAGES is not set: run the tests with ./runner test");
    for (String pair : images.split(",")) if (pair.startsWith(language + "=")) return pair.substring(language.length() + 1);
    throw new IllegalStateException("no image for " + language + " in RUNNER_IMAGES");
  }

  /** The sandboxes of one language's image, under a label of this JVM's own. */
  public static SandboxTemplate template(String language, String labelPrefix) {
    return new SandboxTemplate(image(language), stateDir(), label(labelPrefix),
        Path.of(System.getenv().getOrDefault("RUNNER_SECCOMP_PROFILE", "conf/seccomp.json")).toAbsolutePath());
  }

  /**
   * A node's configuration with a cluster name, sandbox label and HTTP port of its own, so test runs
   * never join each other's cluster or touch each other's containers.
   */
  public static RunnerConfig node(int poolSize) {
    return node(poolSize, Map.of());
  }

  /** A node that takes the sandbox label a node gets by default (from its HTTP port), as in production. */
  public static RunnerConfig nodeWithDefaultLabel(int poolSize) {
    return node(poolSize, Map.of(), false);
  }

  public static RunnerConfig node(int poolSize, Map<String, String> overrides) {
    return node(poolSize, overrides, true);
  }

  private static RunnerConfig node(int poolSize, Map<String, String> overrides, boolean ownLabel) {
    int n = NODES.incrementAndGet();
    Map<String, String> env = new HashMap<>(System.getenv());
    if (!env.containsKey("RUNNER_IMAGES")) throw new IllegalStateException("RUNNER_IMAGES is not set: run the tests with ./runner test");
    env.put("RUNNER_HOST", "127.0.0.1");
    env.put("RUNNER_PORT", String.valueOf(freePort()));
    env.put("RUNNER_POOL_SIZE", String.valueOf(poolSize));
    env.put("RUNNER_CLUSTER_NAME", label("runner-test") + "-" + n);
    env.put("RUNNER_CLUSTER_PORT", "5801");
    env.put("RUNNER_CACHE_DIR", cacheDir(n).toString()); // never /var/lib/runner/cache
    if (ownLabel) env.put("RUNNER_SANDBOX_LABEL", label("node") + "-" + n);
    else env.remove("RUNNER_SANDBOX_LABEL");
    env.putAll(overrides);
    return RunnerConfig.fromEnvironment(env);
  }

  /**
   * A member of a test's cluster: {@code shared} (its cluster name and members) and {@code own}
   * settings, on its own Hazelcast port, a sandbox of each of its images.
   */
  public static RunnerConfig member(Map<String, String> shared, int hazelcastPort, Map<String, String> own) {
    Map<String, String> env = new HashMap<>(shared);
    env.put("RUNNER_CLUSTER_PORT", String.valueOf(hazelcastPort));
    env.putAll(own);
    return node(1, env);
  }

  /** Waits until {@code condition} holds, polling; fails naming {@code what} after {@code limit}. */
  public static void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("not within " + limit + ": " + what);
      Thread.sleep(20);
    }
  }

  /** This JVM's cache dirs, one per node, deleted when the JVM exits. */
  private static Path cacheRoot;

  private static synchronized Path cacheDir(int node) {
    try {
      if (cacheRoot == null) {
        Path root = Files.createTempDirectory("runner-cache-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(root)));
        cacheRoot = root;
      }
      return cacheRoot.resolve("node-" + node); // made by the cache itself, 0700
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes a dir and everything under it, links themselves and never what they point to; best effort. */
  static void deleteTree(Path dir) {
    try (var paths = Files.walk(dir)) { // walk does not follow links
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort
        }
      });
    } catch (IOException ignored) {
      // gone already
    }
  }

  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Fails if a closed node left any container behind. */
  public static void assertNoSandboxesLeft(RunnerConfig config) {
    List<String> left = containers(config.sandboxLabel());
    if (!left.isEmpty()) throw new AssertionError("containers left behind by " + config.sandboxLabel() + ": " + left);
  }

  /** The containers with this sandbox label, as Podman lists them now. */
  public static List<String> containers(String label) {
    Vertx vertx = Vertx.vertx();
    try {
      return podman(vertx).listByLabel(SandboxSpec.LABEL, label).await();
    } finally {
      vertx.close().await();
    }
  }

  /** A label of this JVM's own, so concurrent runs never touch each other's containers. */
  public static String label(String prefix) {
    return prefix + "-" + ProcessHandle.current().pid();
  }
}

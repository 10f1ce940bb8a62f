package dev.runner;

import dev.runner.sandbox.Sandbox;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * A real node in a JVM of its own ({@link Main}, configured by the environment as {@link
 * TestEnvironment#node} configures in-JVM nodes), so a test can kill -9 it or send it SIGTERM.
 * Its stdout and stderr go to a file under target/node-logs/. Closing it kills it if alive and
 * removes its containers, channel dirs and temp dir.
 */
public final class NodeProcess implements AutoCloseable {
  /** A JVM's start, Hazelcast's join and the sandbox pool's start. */
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final AtomicInteger NODES = new AtomicInteger();
  /** Hazelcast's reflective access, as the pom's surefire argLine gives the test JVM. */
  private static final List<String> HAZELCAST_FLAGS = List.of("--add-modules", "java.se",
      "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
      "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens", "java.management/sun.management=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");

  private final Process process;
  private final int port;
  private final String sandboxLabel;
  private final Path logFile;
  private final Path tempDir;
  private final Thread reaper;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private NodeProcess(Process process, int port, String sandboxLabel, Path logFile, Path tempDir) {
    this.process = process;
    this.port = port;
    this.sandboxLabel = sandboxLabel;
    this.logFile = logFile;
    this.tempDir = tempDir;
    // A test JVM that exits without closing this node (a crash, ^C) must not leave it running.
    this.reaper = new Thread(process::destroyForcibly);
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  /** A lone node (its own cluster) with a sandbox pool of one, started and answering GET /health. */
  public static NodeProcess start(Map<String, String> overrides) {
    NodeProcess node = launch(overrides);
    node.awaitStarted();
    return node;
  }

  /**
   * {@code n} nodes of one cluster, each listing every member's Hazelcast port, started and answering
   * GET /health. The first starts alone, the others then join it together: members that all start
   * at once may each elect themselves and form clusters of their own (merged only minutes later).
   */
  public static List<NodeProcess> cluster(int n, Map<String, String> overrides) {
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < n; i++) ports.add(TestEnvironment.freePort());
    Map<String, String> shared = new HashMap<>();
    shared.put("RUNNER_CLUSTER_NAME", TestEnvironment.label("runner-proc-cluster") + "-" + NODES.incrementAndGet());
    shared.put("RUNNER_CLUSTER_MEMBERS", ports.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(",")));
    shared.putAll(overrides);
    List<NodeProcess> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        Map<String, String> env = new HashMap<>(shared);
        env.put("RUNNER_CLUSTER_PORT", String.valueOf(ports.get(i)));
        nodes.add(launch(env));
        if (i == 0) nodes.get(0).awaitStarted();
      }
      for (NodeProcess node : nodes) node.awaitStarted();
      return nodes;
    } catch (RuntimeException e) {
      nodes.forEach(NodeProcess::close);
      throw e;
    }
  }

  private static NodeProcess launch(Map<String, String> overrides) {
    int n = NODES.incrementAndGet();
    int port = TestEnvironment.freePort();
    int clusterPort = TestEnvironment.freePort();
    String label = TestEnvironment.label("proc") + "-" + n;
    try {
      Path tempDir = Files.createTempDirectory("runner-proc-");
      Path logs = Path.of("target", "node-logs").toAbsolutePath();
      Files.createDirectories(logs);
      Path logFile = logs.resolve(label + ".log");
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.add("-Xmx384m");
      command.addAll(HAZELCAST_FLAGS);
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.to(logFile.toFile()));
      Map<String, String> env = pb.environment(); // the parent's: RUNNER_IMAGES, RUNNER_PODMAN_SOCKET, ...
      if (!env.containsKey("RUNNER_IMAGES")) throw new IllegalStateException("RUNNER_IMAGES is not set: run the tests with ./runner test");
      env.put("RUNNER_HOST", "127.0.0.1");
      env.put("RUNNER_PORT", String.valueOf(port));
      env.put("RUNNER_POOL_SIZE", "1");
      env.put("RUNNER_CLUSTER_NAME", TestEnvironment.label("runner-proc") + "-" + n);
      // Its own Hazelcast port and only that as its seed: other test runs may hold the default range.
      env.put("RUNNER_CLUSTER_PORT", String.valueOf(clusterPort));
      env.put("RUNNER_CLUSTER_MEMBERS", "127.0.0.1:" + clusterPort);
      env.put("RUNNER_CACHE_DIR", tempDir.resolve("cache").toString()); // never /var/lib/runner/cache
      env.put("RUNNER_SANDBOX_LABEL", label);
      env.putAll(overrides);
      String ownLabel = env.get("RUNNER_SANDBOX_LABEL");
      int ownPort = Integer.parseInt(env.get("RUNNER_PORT"));
      return new NodeProcess(pb.start(), ownPort, ownLabel, logFile, tempDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits until GET /health answers, whatever its status; fails with the log's tail if the node exits or never answers. */
  private void awaitStarted() {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) throw new IllegalStateException("node " + sandboxLabel + " exited with "
          + process.exitValue() + " before answering GET /health:\n" + logTail());
      try {
        get("/health");
        return;
      } catch (UncheckedIOException notYet) {
        sleep(200);
      }
    }
    kill9();
    throw new IllegalStateException("node " + sandboxLabel + " did not answer GET /health within " + START_TIMEOUT + ":\n" + logTail());
  }

  public int port() {
    return port;
  }

  public long pid() {
    return process.pid();
  }

  public String sandboxLabel() {
    return sandboxLabel;
  }

  public Path logFile() {
    return logFile;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** An answer of the node's HTTP API: its status and its body as JSON (null if it is not JSON). */
  public record Response(int status, String bodyText) {
    public JsonObject body() {
      try {
        return new JsonObject(bodyText);
      } catch (RuntimeException notJson) {
        return null;
      }
    }
  }

  public Response get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  public Response post(String path, JsonObject body) {
    return send(HttpRequest.newBuilder(uri(path)).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())));
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  private Response send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** SIGKILL: no shutdown hook runs, its containers stay behind. */
  public void kill9() {
    process.destroyForcibly();
  }

  /** SIGTERM (Process.destroy on Linux): the node's shutdown hooks run. */
  public void term() {
    process.destroy();
  }

  /** The exit code once the process has exited; fails if it is still running after {@code timeout}. */
  public int waitFor(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("node " + sandboxLabel + " still running after " + timeout);
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The log's last lines, for a failure's message. */
  public String logTail() {
    try {
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Kills the node if alive, then removes its label's containers and channel dirs and its temp dir; the log stays. */
  @Override
  public void close() {
    if (process.isAlive()) {
      kill9();
      waitFor(Duration.ofSeconds(30));
    }
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException exiting) {
      // the JVM is already shutting down: the hook runs anyway
    }
    Vertx vertx = Vertx.vertx();
    try {
      Sandbox.removeLeftovers(vertx, TestEnvironment.podman(vertx), TestEnvironment.stateDir(), sandboxLabel).await();
    } finally {
      vertx.close().await();
      TestEnvironment.deleteTree(tempDir);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}

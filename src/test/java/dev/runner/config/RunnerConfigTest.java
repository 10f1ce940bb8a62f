package dev.runner.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.TestEnvironment;
import dev.runner.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** conf/runner.json's mapping onto the records, the environment over it, and wrong values named. */
class RunnerConfigTest {
  @TempDir
  Path tmp;

  /** The least environment a node needs (one language), not the test run's own. */
  private static Map<String, String> env(String... pairs) {
    Map<String, String> env = new HashMap<>();
    env.put("RUNNER_IMAGES", "python=localhost/runner-python:test");
    env.put("RUNNER_CONTAINERS", System.getenv().getOrDefault("RUNNER_CONTAINERS", "containers"));
    for (int i = 0; i < pairs.length; i += 2) env.put(pairs[i], pairs[i + 1]);
    return env;
  }

  @Test
  void fileValues() {
    JsonObject file = new JsonObject()
        .put("runner", new JsonObject().put("port", 7000).put("grader_url", "https://grader:21680")
            .put("sandbox_path", "/usr/bin/minijail0").put("cache_dir", "/tmp/cache")
            .put("max_cache_size_gb", 2.5).put("max_concurrent_jobs", 8))
        .put("languages", new JsonObject().put("python", new JsonObject().put("compiler", "/usr/bin/python3")
            .put("flags", new JsonArray().add("-O"))))
        .put("http", new JsonObject().put("host", "127.0.0.1").put("header_timeout_s", 3).put("body_budget_mb", 2))
        .put("limits", new JsonObject().put("max_pending", 5).put("max_job_seconds", 60))
        .put("pool", new JsonObject().put("size", 3).put("acquire_timeout_s", 7))
        .put("cluster", new JsonObject().put("name", "c1").put("port", 5900).put("members", new JsonArray().add("10.0.0.1").add("10.0.0.2")))
        .put("sandbox", new JsonObject().put("state_dir", "/tmp/state"));
    RunnerConfig c = RunnerConfig.from(file, env());
    assertEquals(7000, c.httpPort());
    assertEquals("127.0.0.1", c.httpHost());
    assertEquals(Duration.ofSeconds(3), c.http().headerTimeout());
    assertEquals(2L << 20, c.http().bodyBudgetBytes());
    assertEquals(5, c.maxPendingJobs());
    assertEquals(60, c.http().maxJobSeconds());
    assertEquals(3, c.pool().size());
    assertEquals(Duration.ofSeconds(7), c.pool().acquireTimeout());
    assertEquals("c1", c.clusterName());
    assertEquals(5900, c.clusterPort());
    assertEquals("10.0.0.1,10.0.0.2", c.clusterMembers());
    assertEquals(Path.of("/tmp/state"), c.stateDir());
    assertEquals("node-7000", c.sandboxLabel()); // the default label follows the port
    assertEquals("https://grader:21680", c.runner().graderUrl());
    assertEquals("/usr/bin/minijail0", c.runner().sandboxPath());
    assertEquals(Path.of("/tmp/cache"), c.runner().cacheDir());
    assertEquals(2.5, c.runner().maxCacheSizeGb());
    assertEquals(8, c.runner().maxConcurrentJobs());
    assertEquals(new RunnerConfig.CompilerSettings("/usr/bin/python3", List.of("-O")), c.runner().compilers().get("python"));
  }

  @Test
  void environmentOverridesFile() {
    JsonObject file = new JsonObject()
        .put("runner", new JsonObject().put("port", 7000).put("grader_url", "https://a:1").put("cache_dir", "/a").put("max_concurrent_jobs", 8))
        .put("pool", new JsonObject().put("size", 3))
        .put("images", new JsonObject().put("cpp17", "some-image"));
    RunnerConfig c = RunnerConfig.from(file, env("RUNNER_PORT", "7001", "RUNNER_MAX_JOBS", "9", "RUNNER_CACHE_DIR", "/b",
        "RUNNER_GRADER_URL", "http://b:2", "RUNNER_POOL_SIZE", "1"));
    assertEquals(7001, c.httpPort());
    assertEquals("node-7001", c.sandboxLabel());
    assertEquals(9, c.runner().maxConcurrentJobs());
    assertEquals(Path.of("/b"), c.runner().cacheDir());
    assertEquals("http://b:2", c.runner().graderUrl());
    assertEquals(1, c.pool().size());
    assertEquals(Map.of("python", "localhost/runner-python:test"), c.images()); // RUNNER_IMAGES over images
    // a blank variable is unset, as before: the file's value stands
    assertEquals(7000, RunnerConfig.from(file, env("RUNNER_PORT", " ")).httpPort());
  }

  @Test
  void noFileGivesTodaysDefaults() {
    RunnerConfig c = RunnerConfig.fromEnvironment(env());
    assertEquals(6161, c.httpPort());
    assertEquals("0.0.0.0", c.httpHost());
    assertEquals(64, c.maxPendingJobs());
    assertEquals(2, c.pool().size());
    assertEquals("node-6161", c.sandboxLabel());
    assertNull(c.runner().graderUrl());
    assertEquals(4, c.runner().maxConcurrentJobs());
    assertEquals(Duration.ofHours(24), c.runner().cacheTtl());
    assertEquals(0, c.runner().cachePort());
  }

  /** The content cache's TTL and port: the file's cache{ttl_s, port}, the environment over them. */
  @Test
  void cacheTtlAndPort() {
    JsonObject file = new JsonObject().put("cache", new JsonObject().put("ttl_s", 60).put("port", 7100));
    RunnerConfig c = RunnerConfig.from(file, env());
    assertEquals(Duration.ofSeconds(60), c.runner().cacheTtl());
    assertEquals(7100, c.runner().cachePort());
    c = RunnerConfig.from(file, env("RUNNER_CACHE_TTL_S", "3", "RUNNER_CACHE_PORT", "7200"));
    assertEquals(Duration.ofSeconds(3), c.runner().cacheTtl());
    assertEquals(7200, c.runner().cachePort());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RunnerConfig.fromEnvironment(env("RUNNER_CACHE_TTL_S", "0")));
    assertEquals("RUNNER_CACHE_TTL_S: must be an integer of at least 1, got 0", e.getMessage());
  }

  /** The event bus's port: any free one by default, the file's cluster.bus_port, RUNNER_CLUSTER_BUS_PORT over it. */
  @Test
  void clusterBusPort() {
    assertEquals(0, RunnerConfig.fromEnvironment(env()).clusterBusPort());
    JsonObject file = new JsonObject().put("cluster", new JsonObject().put("bus_port", 5710));
    assertEquals(5710, RunnerConfig.from(file, env()).clusterBusPort());
    assertEquals(5711, RunnerConfig.from(file, env("RUNNER_CLUSTER_BUS_PORT", "5711")).clusterBusPort());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RunnerConfig.fromEnvironment(env("RUNNER_CLUSTER_BUS_PORT", "bus")));
    assertEquals("RUNNER_CLUSTER_BUS_PORT: must be an integer from 0 to 65535, got \"bus\"", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> RunnerConfig.from(new JsonObject("{\"cluster\":{\"bus_port\":-1}}"), env()));
    assertEquals("cluster.bus_port: must be an integer from 0 to 65535, got -1", e.getMessage());
  }

  /** The cluster's settings: defaults, the file's cluster group, the variables over it, an API-only node. */
  @Test
  void clusterSettings() {
    RunnerConfig.ClusterSettings d = RunnerConfig.fromEnvironment(env()).cluster();
    assertEquals(new RunnerConfig.ClusterSettings(Duration.ofSeconds(30), Duration.ofSeconds(3600), Duration.ofSeconds(5), 16, false), d);
    JsonObject file = new JsonObject().put("cluster", new JsonObject().put("drain_timeout_s", 90).put("job_ttl_s", 60)
        .put("failure_timeout_s", 3).put("chunk_tests", 50).put("api_only", true));
    RunnerConfig c = RunnerConfig.from(file, env());
    assertEquals(new RunnerConfig.ClusterSettings(Duration.ofSeconds(90), Duration.ofSeconds(60), Duration.ofSeconds(3), 50, true), c.cluster());
    assertEquals(Map.of(), c.images(), "an API-only node runs no image");
    assertEquals(Map.of(), c.languages());
    assertTrue(c.allLanguages().containsKey("python"), "it still knows every language, to parse requests for the others");
    RunnerConfig e = RunnerConfig.from(file, env("RUNNER_DRAIN_TIMEOUT_S", "0", "RUNNER_API_ONLY", "false"));
    assertEquals(Duration.ZERO, e.cluster().drainTimeout());
    assertFalse(e.cluster().apiOnly());
    assertFalse(e.images().isEmpty());
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> RunnerConfig.fromEnvironment(env("RUNNER_API_ONLY", "yes")));
    assertEquals("RUNNER_API_ONLY: must be true or false, got \"yes\"", bad.getMessage());
    bad = assertThrows(IllegalArgumentException.class,
        () -> RunnerConfig.from(new JsonObject("{\"cluster\":{\"api_only\":1}}"), env()));
    assertEquals("cluster.api_only: must be true or false, got 1", bad.getMessage());
    bad = assertThrows(IllegalArgumentException.class, () -> RunnerConfig.fromEnvironment(env("RUNNER_CLUSTER_FAILURE_TIMEOUT_S", "1")));
    assertEquals("RUNNER_CLUSTER_FAILURE_TIMEOUT_S: must be an integer from 2 to 600, got 1", bad.getMessage());
  }

  /** Kubernetes DNS discovery: unset by default, the file's cluster.kubernetes_service_dns, the variable over it. */
  @Test
  void clusterKubernetesDns() {
    assertNull(RunnerConfig.fromEnvironment(env()).clusterKubernetesDns());
    JsonObject file = new JsonObject().put("cluster", new JsonObject().put("kubernetes_service_dns", "runner-hz.runner.svc.cluster.local"));
    assertEquals("runner-hz.runner.svc.cluster.local", RunnerConfig.from(file, env()).clusterKubernetesDns());
    assertEquals("hz.other.svc.cluster.local",
        RunnerConfig.from(file, env("RUNNER_CLUSTER_KUBERNETES_DNS", "hz.other.svc.cluster.local")).clusterKubernetesDns());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RunnerConfig.fromEnvironment(env("RUNNER_CLUSTER_KUBERNETES_DNS", "http://hz:5701")));
    assertEquals("RUNNER_CLUSTER_KUBERNETES_DNS: must be a DNS name such as runner-hz.runner.svc.cluster.local, got \"http://hz:5701\"",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> RunnerConfig.from(new JsonObject("{\"cluster\":{\"kubernetes_service_dns\":5}}"), env()));
    assertEquals("cluster.kubernetes_service_dns: must be a non-empty string, got 5", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> RunnerConfig.from(new JsonObject("{\"cluster\":{\"kubernetes_service_dns\":\"-hz.svc\"}}"), env()));
    assertTrue(e.getMessage().startsWith("cluster.kubernetes_service_dns: must be a DNS name"), e.getMessage());
  }

  /** The shipped conf/runner.json changes nothing: it holds the defaults. */
  @Test
  void shippedFileHoldsTheDefaults() throws Exception {
    JsonObject shipped = new JsonObject(Files.readString(Path.of("conf/runner.json")));
    assertEquals(RunnerConfig.fromEnvironment(env()).toString(), RunnerConfig.from(shipped, env()).toString());
  }

  static List<Object[]> wrongValues() {
    return List.of(
        new Object[] {"{\"runner\":{\"port\":\"x\"}}", "runner.port: must be an integer from 1 to 65535, got \"x\""},
        new Object[] {"{\"runner\":{\"port\":0}}", "runner.port: must be an integer from 1 to 65535, got 0"},
        new Object[] {"{\"runner\":{\"port\":6161.5}}", "runner.port: must be an integer from 1 to 65535, got 6161.5"},
        new Object[] {"{\"runner\":{\"max_concurrent_jobs\":0}}", "runner.max_concurrent_jobs: must be an integer of at least 1, got 0"},
        new Object[] {"{\"runner\":{\"max_cache_size_gb\":-1}}", "runner.max_cache_size_gb: must be a number above 0, got -1"},
        new Object[] {"{\"runner\":{\"grader_url\":\"ftp://g\"}}", "runner.grader_url: must be an http:// or https:// URL with a host"},
        new Object[] {"{\"runner\":{\"cache_dir\":7}}", "runner.cache_dir: must be a non-empty string, got 7"},
        new Object[] {"{\"cache\":{\"port\":70000}}", "cache.port: must be an integer from 0 to 65535, got 70000"},
        new Object[] {"{\"cache\":{\"ttl\":1}}", "cache.ttl: unknown key in cache"},
        new Object[] {"{\"runner\":{\"prot\":1}}", "runner.prot: unknown key in runner"},
        new Object[] {"{\"bogus\":1}", "bogus: unknown key at the top level"},
        new Object[] {"{\"http\":3}", "http: must be an object, got 3"},
        new Object[] {"{\"pool\":{\"size\":\"2\"}}", "pool.size: must be an integer from 1 to 1000, got \"2\""},
        new Object[] {"{\"limits\":{\"max_pending\":-1}}", "limits.max_pending: must be an integer of at least 1, got -1"},
        new Object[] {"{\"cluster\":{\"members\":[\"a\",3]}}", "cluster.members[1]: must be a non-empty string, got 3"},
        new Object[] {"{\"cluster\":{\"tls\":{\"ca\":\"x\"}}}", "cluster.tls.ca: unknown key in cluster.tls"},
        new Object[] {"{\"languages\":{\"cobol\":{}}}", "languages.cobol: no languages.json under"},
        new Object[] {"{\"languages\":{\"python\":{\"flags\":\"-O2\"}}}", "languages.python.flags: must be an array of strings, got \"-O2\""},
        new Object[] {"{\"languages\":{\"python\":{\"cflags\":[]}}}", "languages.python.cflags: unknown key"},
        new Object[] {"{\"tls\":{\"cert_file\":\"/x.pem\"}}", "tls.cert_file is set but tls.key_file and tls.ca_file are not"},
        new Object[] {"{\"tokens\":{\"values\":\"tok\"}}", "tokens.values: must be an array of strings"},
        new Object[] {"{\"tokens\":{\"file\":\"/nonexistent/tokens\"}}", "tokens.file: cannot read /nonexistent/tokens"},
        new Object[] {"{\"images\":{\"python\":1}}", "images.python: must be a non-empty string"});
  }

  @ParameterizedTest
  @MethodSource
  void wrongValues(String json, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunnerConfig.from(new JsonObject(json), env()));
    assertTrue(e.getMessage().startsWith(message), e.getMessage());
  }

  @Test
  void wrongVariablesAreNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunnerConfig.fromEnvironment(env("RUNNER_PORT", "x")));
    assertEquals("RUNNER_PORT: must be an integer from 1 to 65535, got \"x\"", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> RunnerConfig.fromEnvironment(env("RUNNER_MAX_JOBS", "0")));
    assertEquals("RUNNER_MAX_JOBS: must be an integer of at least 1, got 0", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> RunnerConfig.fromEnvironment(env("RUNNER_TLS_CA_FILE", "/x")));
    assertTrue(e.getMessage().startsWith("RUNNER_TLS_CA_FILE is set but RUNNER_TLS_CERT_FILE and RUNNER_TLS_KEY_FILE are not"), e.getMessage());
    // a variable wins over the file's value, but the file's value is checked all the same
    e = assertThrows(IllegalArgumentException.class,
        () -> RunnerConfig.from(new JsonObject().put("runner", new JsonObject().put("port", "x")), env("RUNNER_PORT", "7000")));
    assertTrue(e.getMessage().startsWith("runner.port:"), e.getMessage());
  }

  @Test
  void retrieverNamesTheFileAtFault() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Path missing = tmp.resolve("missing.json");
      Throwable e = ConfigFile.load(vertx, missing.toString()).transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause())).await();
      assertEquals("RUNNER_CONFIG: " + missing + " does not exist", e.getMessage());
      Path broken = Files.writeString(tmp.resolve("broken.json"), "{\"runner\": {");
      e = ConfigFile.load(vertx, broken.toString()).transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause())).await();
      assertTrue(e instanceof IllegalArgumentException && e.getMessage().startsWith("RUNNER_CONFIG: " + broken + ": "), String.valueOf(e));
      Path wrong = Files.writeString(tmp.resolve("wrong.json"), "{\"runner\": {\"port\": \"x\"}}");
      e = ConfigFile.load(vertx, wrong.toString()).transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause())).await();
      assertEquals("RUNNER_CONFIG: " + wrong + ": runner.port: must be an integer from 1 to 65535, got \"x\"", e.getMessage());
    } finally {
      vertx.close().await();
    }
  }

  /** A real node started from a config file (and the test run's environment, which wins) answers on its port. */
  @Test
  void nodeFromConfigFile() throws Exception {
    String envPort = System.getenv("RUNNER_PORT");
    int port = TestEnvironment.freePort();
    Path file = Files.writeString(tmp.resolve("runner.json"), new JsonObject()
        .put("runner", new JsonObject().put("port", port))
        .put("http", new JsonObject().put("host", "127.0.0.1"))
        .put("pool", new JsonObject().put("size", 1))
        .put("cluster", new JsonObject().put("name", TestEnvironment.label("runner-test-config")).put("port", 5801))
        .put("sandbox", new JsonObject().put("label", TestEnvironment.label("node-config")))
        .encodePrettily());
    Vertx reader = Vertx.vertx();
    RunnerConfig config;
    try {
      config = ConfigFile.load(reader, file.toString()).await();
    } finally {
      reader.close().await();
    }
    if (envPort == null || envPort.isBlank()) assertEquals(port, config.httpPort());
    else assertEquals(Integer.parseInt(envPort.trim()), config.httpPort());
    try (TestNode node = TestNode.start(config)) {
      WebClient client = WebClient.create(node.vertx);
      HttpResponse<Buffer> r = client.get(config.httpPort(), "127.0.0.1", "/health").send().await();
      assertEquals(200, r.statusCode(), r.bodyAsString());
      client.close();
    }
  }
}

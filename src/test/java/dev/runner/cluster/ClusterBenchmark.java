package dev.runner.cluster;

import dev.runner.TestEnvironment;
import dev.runner.TestNode;
import dev.runner.config.RunnerConfig;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Not a test: `./runner bench`. Real nodes in this JVM, each figure beside its baseline in the same
 * run, the variants interleaved round-robin (the machine is noisy):
 * (a) a one-test Python job POSTed to an API-only node, so it travels to the Python node W over the
 * event bus, against the same job POSTed to W itself (and to a lone, unclustered node): the cluster hop;
 * (b) a 200-test Python job, in chunks, on a cluster grown from 1 to 3 nodes of 2 sandboxes each,
 * against the same job unsplit on one node; with and without a 50 ms sleep per test (the sleep
 * shows what parallel sandboxes give when the 2 cores are not the limit).
 * Only correctness is asserted, never timing.
 */
class ClusterBenchmark {
  private static final String ECHO = "print(input())\n";
  private static final String SLEEPY = "import time\ntime.sleep(0.05)\nprint(input())\n";
  private static final int WARMUP = 30, ROUNDS = 200, SPREAD_REPS = 5, BIG = 200;

  @Test
  void cluster() throws Exception {
    long t0 = System.nanoTime();
    System.out.printf("%nClusterBenchmark: %-76s %9s %9s %9s%n", "measure (ms; of 5 runs the p90 is the slowest)", "median", "p90", "n");
    dispatch();
    spread();
    System.out.printf("ClusterBenchmark: run time %.1f s%n%n", (System.nanoTime() - t0) / 1e9);
  }

  /** (a) the cluster hop of a one-test job. */
  private void dispatch() throws Exception {
    int[] ports = {TestEnvironment.freePort(), TestEnvironment.freePort(), TestEnvironment.freePort()};
    Map<String, String> env = Map.of("RUNNER_CLUSTER_NAME", TestEnvironment.label("runner-bench-dispatch"),
        "RUNNER_CLUSTER_MEMBERS", "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1]);
    Map<String, String> lone = Map.of("RUNNER_CLUSTER_NAME", TestEnvironment.label("runner-bench-lone"),
        "RUNNER_CLUSTER_MEMBERS", "127.0.0.1:" + ports[2]);
    Map<String, String> python = Map.of("RUNNER_IMAGES", "python=" + TestEnvironment.image("python"), "RUNNER_POOL_SIZE", "2");
    try (TestNode w = TestNode.start(TestEnvironment.member(env, ports[0], python));
         TestNode r = TestNode.start(TestEnvironment.member(env, ports[1], Map.of("RUNNER_API_ONLY", "true")));
         TestNode l = TestNode.start(TestEnvironment.member(lone, ports[2], python))) {
      awaitFree(r, 2, 2);
      awaitFree(l, 1, 2);
      Map<String, TestNode> via = new LinkedHashMap<>();
      via.put("(a) one-test job POSTed to W, run on W (local)", w);
      via.put("(a) one-test job POSTed to API-only R, run on W (remote)", r);
      via.put("(a) one-test job on a lone node (no cluster peer)", l);
      List<String> names = List.copyOf(via.keySet());
      Map<String, double[]> ms = new HashMap<>();
      names.forEach(n -> ms.put(n, new double[ROUNDS]));
      for (int i = 0; i < WARMUP + ROUNDS; i++) {
        for (int k = 0; k < names.size(); k++) { // each round starts with the next variant: no one always goes first
          String name = names.get((i + k) % names.size());
          long s = System.nanoTime();
          check(post(via.get(name), job(ECHO, 1, i)), 1);
          if (i >= WARMUP) ms.get(name)[i - WARMUP] = (System.nanoTime() - s) / 1e6;
        }
      }
      names.forEach(n -> row(n, ms.get(n)));
      double[] local = ms.get(names.get(0)), remote = ms.get(names.get(1));
      // The rounds interleave the variants, so a round's own difference cancels most of the machine's drift.
      double[] paired = new double[ROUNDS];
      for (int i = 0; i < ROUNDS; i++) paired[i] = remote[i] - local[i];
      System.out.printf("ClusterBenchmark: %-76s %9.2f %9.2f%n", "(a) remote - local: difference of the medians, of the p90s",
          percentile(remote, 0.5) - percentile(local, 0.5), percentile(remote, 0.9) - percentile(local, 0.9));
      row("(a) remote - local, paired by round", paired);
    }
  }

  /** (b) a 200-test job over 1, 2, 3 nodes, and unsplit on one. */
  private void spread() throws Exception {
    int[] ports = {TestEnvironment.freePort(), TestEnvironment.freePort(), TestEnvironment.freePort(), TestEnvironment.freePort()};
    Map<String, String> env = Map.of("RUNNER_CLUSTER_NAME", TestEnvironment.label("runner-bench-spread"),
        "RUNNER_CLUSTER_MEMBERS", "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1] + ",127.0.0.1:" + ports[2]);
    Map<String, String> node = Map.of("RUNNER_IMAGES", "python=" + TestEnvironment.image("python"),
        "RUNNER_POOL_SIZE", "2", "RUNNER_MAX_JOBS", "2", "RUNNER_CHUNK_TESTS", "16");
    Map<String, String> unsplit = new HashMap<>(node);
    unsplit.put("RUNNER_CHUNK_TESTS", "1000");
    unsplit.put("RUNNER_CLUSTER_NAME", TestEnvironment.label("runner-bench-unsplit"));
    unsplit.put("RUNNER_CLUSTER_MEMBERS", "127.0.0.1:" + ports[3]);
    List<TestNode> cluster = new ArrayList<>();
    try {
      cluster.add(TestNode.start(TestEnvironment.member(env, ports[0], node)));
      // The unsplit baseline runs beside the 1-node phase, its runs interleaved with that phase's.
      try (TestNode single = TestNode.start(TestEnvironment.member(Map.of(), ports[3], unsplit))) {
        awaitFree(single, 1, 2);
        measureSpread(cluster, single);
      }
      for (int n = 2; n <= 3; n++) {
        cluster.add(TestNode.start(TestEnvironment.member(env, ports[n - 1], node)));
        measureSpread(cluster, null);
      }
    } finally {
      for (int i = cluster.size() - 1; i >= 0; i--) cluster.get(i).close();
    }
  }

  /** SPREAD_REPS runs of each variant, POSTed to the cluster's first node, interleaved. */
  private void measureSpread(List<TestNode> cluster, TestNode unsplit) throws Exception {
    TestNode first = cluster.get(0);
    int n = cluster.size();
    awaitFree(first, n, 2);
    List<String> names = new ArrayList<>();
    Map<String, TestNode> target = new HashMap<>();
    Map<String, String> code = new HashMap<>();
    for (boolean sleepy : new boolean[] {false, true}) {
      String what = sleepy ? "sleep 50 ms + echo" : "echo";
      String name = "(b) 200 tests (" + what + "), " + n + " node" + (n > 1 ? "s" : "") + ", chunks of >= 16";
      names.add(name);
      target.put(name, first);
      code.put(name, sleepy ? SLEEPY : ECHO);
      if (unsplit != null) {
        String base = "(b) 200 tests (" + what + "), 1 node, unsplit (chunk_tests 1000)";
        names.add(base);
        target.put(base, unsplit);
        code.put(base, sleepy ? SLEEPY : ECHO);
      }
    }
    Map<String, double[]> ms = new HashMap<>();
    Map<String, List<String>> chunks = new HashMap<>();
    names.forEach(x -> {
      ms.put(x, new double[SPREAD_REPS]);
      chunks.put(x, new ArrayList<>());
    });
    for (int i = -1; i < SPREAD_REPS; i++) { // round -1 warms up
      for (int k = 0; k < names.size(); k++) {
        String name = names.get((i + 1 + k) % names.size());
        TestNode via = target.get(name);
        int nodes = via == first ? n : 1;
        // Every sandbox free again and published, so each run is split over all of them.
        awaitFree(via, nodes, 2);
        Map<String, Long> before = completed(via);
        long s = System.nanoTime();
        check(post(via, job(code.get(name), BIG, i)), BIG);
        double took = (System.nanoTime() - s) / 1e6;
        awaitFree(via, nodes, 2);
        if (i < 0) continue;
        ms.get(name)[i] = took;
        Map<String, Long> after = completed(via);
        List<Long> perNode = new ArrayList<>();
        after.forEach((id, c) -> perNode.add(c - before.getOrDefault(id, 0L)));
        chunks.get(name).add(perNode.toString().replace(" ", ""));
      }
    }
    for (String name : names) {
      row(name, ms.get(name));
      System.out.printf("ClusterBenchmark:     chunks run per node, each run: %s%n", String.join(" ", chunks.get(name)));
    }
  }

  /** Each node's jobs_completed (a chunk is a job to its worker), as the registry shows them to {@code node}. */
  private static Map<String, Long> completed(TestNode node) {
    Map<String, Long> c = new java.util.TreeMap<>();
    for (Object o : nodes(node).getJsonArray("nodes")) {
      JsonObject n = (JsonObject) o;
      c.put(n.getString("id"), n.getLong("jobs_completed"));
    }
    return c;
  }

  private static JsonObject nodes(TestNode node) {
    return node.client.get("/nodes").send().await().bodyAsJsonObject();
  }

  /** Waits until {@code node} lists {@code count} nodes, each that serves Python with {@code free} free sandboxes for it. */
  private static void awaitFree(TestNode node, int count, int free) throws InterruptedException {
    TestEnvironment.await(count + " nodes, " + free + " free python sandboxes on each python node", Duration.ofSeconds(60), () -> {
      JsonObject list = nodes(node);
      if (list.getInteger("count") != count) return false;
      for (Object o : list.getJsonArray("nodes")) {
        JsonObject n = (JsonObject) o;
        if (n.getJsonObject("languages").containsKey("python") && n.getJsonObject("free").getInteger("python", 0) != free) return false;
      }
      return true;
    });
  }

  /** Tests t0..t(n-1), inputs made distinct per round so no result could be reused. */
  private static JsonObject job(String code, int tests, int round) {
    JsonArray visible = new JsonArray();
    for (int i = 0; i < tests; i++) {
      String v = round + "-" + i + "\n";
      visible.add(new JsonObject().put("id", "t" + i).put("input", v).put("expected_output", v));
    }
    return new JsonObject().put("language", "python").put("code", code).put("tests", new JsonObject().put("visible", visible));
  }

  private static JsonObject post(TestNode node, JsonObject job) {
    HttpResponse<Buffer> r = node.client.post("/run").sendBuffer(job.toBuffer()).await();
    if (r.statusCode() != 200) throw new IllegalStateException(r.statusCode() + " " + r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  /** All {@code tests} passed, reported in order. */
  private static void check(JsonObject res, int tests) {
    JsonObject summary = res.getJsonObject("summary");
    JsonArray visible = res.getJsonObject("test_results").getJsonArray("visible");
    if (summary.getInteger("total") != tests || summary.getInteger("passed") != tests || visible.size() != tests) {
      throw new IllegalStateException(summary.encode());
    }
    for (int i = 0; i < tests; i++) {
      JsonObject t = visible.getJsonObject(i);
      if (!("t" + i).equals(t.getString("id")) || !"passed".equals(t.getString("status"))) {
        throw new IllegalStateException("test " + i + ": " + t.encode());
      }
    }
  }

  private static double percentile(double[] v, double p) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[Math.max(0, (int) Math.ceil(s.length * p) - 1)];
  }

  private static void row(String name, double[] v) {
    System.out.printf("ClusterBenchmark: %-76s %9.2f %9.2f %9d%n", name, percentile(v, 0.5), percentile(v, 0.9), v.length);
  }
}

package dev.runner.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.NodeProcess;
import dev.runner.TestEnvironment;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Real nodes, each its own JVM, in one cluster on loopback (Python only, two sandboxes each): jobs
 * go where sandboxes are free; a node killed under load loses no job and leaves no container; a
 * node that joins under load takes work; SIGTERM drains a node, which exits 0.
 */
class ClusterProcessTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** A job that echoes its input after sleeping: its answer shows it was not mixed up with another's. */
  private static JsonObject sleepy(String input, double seconds) {
    String code = "import time\ns = input()\ntime.sleep(" + seconds + ")\nprint(s)\n";
    return new JsonObject().put("language", "python").put("code", code).put("timeout_seconds", 10)
        .put("tests", new JsonObject().put("visible", new JsonArray().add(new JsonObject()
            .put("input", input + "\n").put("expected_output", input + "\n"))));
  }

  private static CompletableFuture<HttpResponse<String>> post(NodeProcess node, JsonObject body) {
    return HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/run"))
        .timeout(Duration.ofSeconds(120)).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Asserts every answer is a 200 whose one test passed with its own input echoed. */
  private static void assertAllPassed(List<CompletableFuture<HttpResponse<String>>> answers, List<String> inputs) {
    for (int i = 0; i < answers.size(); i++) {
      HttpResponse<String> r = answers.get(i).join();
      assertEquals(200, r.statusCode(), "job " + inputs.get(i) + ": " + r.body());
      JsonObject test = new JsonObject(r.body()).getJsonObject("test_results").getJsonArray("visible").getJsonObject(0);
      assertEquals("passed", test.getString("status"), r.body());
      assertEquals(inputs.get(i) + "\n", test.getString("actual_output"), r.body());
    }
  }

  /** Jobs completed by each node, by port, as GET /nodes tells. */
  private static Map<String, Long> completed(NodeProcess any) {
    Map<String, Long> byNode = new HashMap<>();
    JsonArray nodes = any.get("/nodes").body().getJsonArray("nodes");
    for (int i = 0; i < nodes.size(); i++) {
      JsonObject n = nodes.getJsonObject(i);
      byNode.put(n.getString("http"), n.getLong("jobs_completed"));
    }
    return byNode;
  }

  /** Every node lists two free Python sandboxes (pools full, entries published). */
  private static boolean allFree(NodeProcess any, int nodes) {
    JsonArray list = any.get("/nodes").body().getJsonArray("nodes");
    if (list.size() != nodes) return false;
    for (int i = 0; i < list.size(); i++) {
      if (list.getJsonObject(i).getJsonObject("free").getInteger("python", 0) != 2) return false;
    }
    return true;
  }

  /**
   * An asynchronous job whose coordinating node (API-only: it runs none of it) is killed while the
   * job runs: the surviving node adopts it from its record, runs it again and finishes it, once.
   */
  @Test
  void aKilledCoordinatorsAsynchronousJobIsAdoptedAndFinished() throws Exception {
    List<Integer> hzPorts = List.of(TestEnvironment.freePort(), TestEnvironment.freePort());
    Map<String, String> shared = new HashMap<>();
    shared.put("RUNNER_IMAGES", "python=" + TestEnvironment.image("python"));
    shared.put("RUNNER_CLUSTER_FAILURE_TIMEOUT_S", "3");
    shared.put("RUNNER_CLUSTER_NAME", TestEnvironment.label("runner-cluster-adopt"));
    shared.put("RUNNER_CLUSTER_MEMBERS", hzPorts.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(",")));
    List<NodeProcess> nodes = new ArrayList<>();
    try {
      Map<String, String> env = new HashMap<>(shared);
      env.put("RUNNER_CLUSTER_PORT", String.valueOf(hzPorts.get(0)));
      NodeProcess worker = NodeProcess.start(env);
      nodes.add(worker);
      env = new HashMap<>(shared);
      env.put("RUNNER_CLUSTER_PORT", String.valueOf(hzPorts.get(1)));
      env.put("RUNNER_API_ONLY", "true");
      NodeProcess coordinator = NodeProcess.start(env);
      nodes.add(coordinator);
      TestEnvironment.await("2 nodes, the worker's sandbox free", Duration.ofSeconds(60), () -> {
        JsonArray list = coordinator.get("/nodes").body().getJsonArray("nodes");
        return list.size() == 2 && list.stream().anyMatch(n -> ((JsonObject) n).getJsonObject("free").getInteger("python", 0) > 0);
      });
      JsonObject job = sleepy("adopted", 1);
      JsonArray visible = job.getJsonObject("tests").getJsonArray("visible");
      visible.add(visible.getJsonObject(0).copy()).add(visible.getJsonObject(0).copy());
      NodeProcess.Response accepted = coordinator.post("/jobs", job);
      assertEquals(202, accepted.status(), accepted.bodyText());
      String id = accepted.body().getString("id");
      TestEnvironment.await("the job runs", Duration.ofSeconds(10), () -> "running".equals(worker.get("/jobs/" + id).body().getString("state")));
      coordinator.kill9();
      TestEnvironment.await("the job is done", Duration.ofSeconds(60), () -> "done".equals(worker.get("/jobs/" + id).body().getString("state")));
      JsonObject record = worker.get("/jobs/" + id).body();
      assertEquals(2, record.getInteger("attempt"), "run again by the survivor: " + record.encode());
      assertEquals(3, record.getJsonObject("result").getJsonObject("summary").getInteger("passed"), record.encode());
    } finally {
      nodes.forEach(NodeProcess::close);
    }
  }

  @Test
  void jobsGoWhereSandboxesAreFreeAndSurviveKilledJoiningAndDrainedNodes() throws Exception {
    List<Integer> hzPorts = List.of(TestEnvironment.freePort(), TestEnvironment.freePort(), TestEnvironment.freePort(),
        TestEnvironment.freePort());
    Map<String, String> shared = new HashMap<>();
    shared.put("RUNNER_IMAGES", "python=" + TestEnvironment.image("python"));
    shared.put("RUNNER_POOL_SIZE", "2");
    shared.put("RUNNER_MAX_JOBS", "2");
    shared.put("RUNNER_CLUSTER_FAILURE_TIMEOUT_S", "3");
    shared.put("RUNNER_CLUSTER_NAME", TestEnvironment.label("runner-cluster-proc"));
    shared.put("RUNNER_CLUSTER_MEMBERS", hzPorts.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(",")));
    List<NodeProcess> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        Map<String, String> env = new HashMap<>(shared);
        env.put("RUNNER_CLUSTER_PORT", String.valueOf(hzPorts.get(i)));
        nodes.add(NodeProcess.start(env));
      }
      NodeProcess a = nodes.get(0), b = nodes.get(1), c = nodes.get(2);
      TestEnvironment.await("3 nodes with 2 free sandboxes each", Duration.ofSeconds(60), () -> allFree(a, 3));

      // Six 1.5 s jobs at once on A: two on each node, none waiting while a sandbox is free elsewhere.
      Map<String, Long> before = completed(a);
      List<String> inputs = new ArrayList<>();
      List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        inputs.add("spread-" + i);
        answers.add(post(a, sleepy(inputs.get(i), 1.5)));
      }
      assertAllPassed(answers, inputs);
      Map<String, Long> after = completed(a);
      for (String node : after.keySet()) {
        assertEquals(2, after.get(node) - before.get(node), "jobs run by " + node + ": " + before + " → " + after);
      }

      // 60 jobs through A and C; B is killed while it runs some: each is answered, right, once.
      inputs.clear();
      answers.clear();
      for (int i = 0; i < 60; i++) {
        inputs.add("load-" + i);
        answers.add(post(i % 2 == 0 ? a : c, sleepy(inputs.get(i), 0.4)));
      }
      Thread.sleep(1_500);
      b.kill9();
      assertAllPassed(answers, inputs);
      TestEnvironment.await("A sees 2 nodes", Duration.ofSeconds(30), () -> a.get("/health").body().getInteger("nodes") == 2);
      TestEnvironment.await("B's containers removed by a survivor", Duration.ofSeconds(30), () -> TestEnvironment.containers(b.sandboxLabel()).isEmpty());

      // D joins while 30 jobs run: it takes some of them.
      inputs.clear();
      answers.clear();
      for (int i = 0; i < 30; i++) {
        inputs.add("join-" + i);
        answers.add(post(i % 2 == 0 ? a : c, sleepy(inputs.get(i), 0.5)));
      }
      Map<String, String> env = new HashMap<>(shared);
      env.put("RUNNER_CLUSTER_PORT", String.valueOf(hzPorts.get(3)));
      NodeProcess d = NodeProcess.start(env);
      nodes.add(d);
      for (int i = 0; i < 30; i++) {
        inputs.add("joined-" + i);
        answers.add(post(i % 2 == 0 ? a : c, sleepy(inputs.get(30 + i), 0.5)));
      }
      assertAllPassed(answers, inputs);
      String dAddress = "127.0.0.1:" + d.port();
      assertTrue(completed(a).getOrDefault(dAddress, 0L) > 0, "the joining node ran none: " + completed(a));

      // SIGTERM on D with a 3 s job it holds: the job is answered, D leaves and exits 0, its sandboxes gone.
      CompletableFuture<HttpResponse<String>> held = post(d, sleepy("drained", 3));
      TestEnvironment.await("D's job runs", Duration.ofSeconds(10), () -> a.get("/nodes").body().getJsonArray("nodes").stream()
          .mapToInt(n -> ((JsonObject) n).getInteger("running")).sum() > 0);
      d.term();
      assertAllPassed(List.of(held), List.of("drained"));
      assertEquals(0, d.waitFor(Duration.ofSeconds(60)), "D's exit code after SIGTERM:\n" + d.logTail());
      assertFalse(d.isAlive());
      assertEquals(List.of(), TestEnvironment.containers(d.sandboxLabel()), "D's sandboxes");
      TestEnvironment.await("A sees 2 nodes", Duration.ofSeconds(30), () -> a.get("/health").body().getInteger("nodes") == 2);
    } finally {
      nodes.forEach(NodeProcess::close);
    }
    for (NodeProcess node : nodes) assertEquals(List.of(), TestEnvironment.containers(node.sandboxLabel()), node.sandboxLabel());
  }
}

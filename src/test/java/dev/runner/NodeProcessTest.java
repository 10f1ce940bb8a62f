package dev.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two nodes in JVMs of their own form one cluster and run a job; one killed with SIGKILL is gone
 * and its containers are removed after it; the other exits on SIGTERM.
 */
class NodeProcessTest {
  private static final JsonObject JOB = new JsonObject("""
      {"language": "python", "code": "print(input())",
       "tests": {"visible": [{"input": "hi\\n", "expected_output": "hi\\n"}]}}""");

  @Test
  void twoProcessNodesClusterRunAJobAndDieByKillAndTerm() throws Exception {
    long t0 = System.nanoTime();
    // Python only: every image's pool in two JVMs would start dozens of containers.
    List<NodeProcess> nodes = NodeProcess.cluster(2, Map.of("RUNNER_IMAGES", "python=" + TestEnvironment.image("python")));
    log("both nodes answer GET /health", t0);
    NodeProcess a = nodes.get(0), b = nodes.get(1);
    try {
      int seen = 0;
      for (int i = 0; i < 300 && seen != 2; i++) { // B's join may reach A's view a moment after B answers
        seen = a.get("/health").body().getInteger("nodes");
        if (seen != 2) Thread.sleep(100);
      }
      assertEquals(2, seen, "A's view of the cluster");
      log("A says nodes: 2", t0);

      NodeProcess.Response run = a.post("/run", JOB);
      assertEquals(200, run.status(), run.bodyText());
      JsonObject test = run.body().getJsonObject("test_results").getJsonArray("visible").getJsonObject(0);
      assertEquals("passed", test.getString("status"), run.bodyText());

      long bPid = b.pid();
      b.kill9();
      assertEquals(137, b.waitFor(Duration.ofSeconds(30)), "128 + SIGKILL");
      assertFalse(ProcessHandle.of(bPid).map(ProcessHandle::isAlive).orElse(false), "B's process is gone");
      b.close(); // B's containers outlive it: close removes them
      assertEquals(List.of(), TestEnvironment.containers(b.sandboxLabel()), "B's containers");

      long termed = System.nanoTime();
      a.term();
      int code = a.waitFor(Duration.ofSeconds(60));
      log("A exited with " + code + " " + (System.nanoTime() - termed) / 1_000_000 + " ms after SIGTERM", t0);
      assertEquals(0, code, "SIGTERM drains, leaves and exits 0:\n" + a.logTail());
      assertFalse(a.isAlive());
    } finally {
      nodes.forEach(NodeProcess::close); // B's a second time: close is idempotent
    }
    for (NodeProcess node : nodes) assertEquals(List.of(), TestEnvironment.containers(node.sandboxLabel()), node.sandboxLabel());
  }

  private static void log(String what, long since) {
    System.out.println("NodeProcessTest: " + what + " after " + (System.nanoTime() - since) / 1_000_000 + " ms");
  }
}

package dev.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.podman.PodmanClient;
import dev.runner.sandbox.SandboxSpec;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A node without Podman answers 503 and heals when Podman comes; a sandbox lost under it is replaced;
 * a node holding as many requests as it may refuses more at once.
 */
class NodeResilienceTest {
  private static final JsonObject JOB = new JsonObject("""
      {"language": "python", "code": "print(input()[::-1])",
       "tests": {"visible": [{"id": "a", "input": "abc", "expected_output": "cba"}]}}""");

  private static HttpResponse<Buffer> post(WebClient client) {
    return client.post("/run").sendJsonObject(JOB).await();
  }

  @Test
  void withoutPodmanJobsGet503AndTheNodeHealsWhenPodmanIsBack() throws Exception {
    Path socket = Path.of("/tmp", TestEnvironment.label("podman-later") + ".sock");
    Files.deleteIfExists(socket);
    Map<String, String> env = Map.of("RUNNER_PODMAN_SOCKET", socket.toString(), "RUNNER_ACQUIRE_TIMEOUT_S", "2");
    try (TestNode node = TestNode.start(TestEnvironment.node(1, env))) {
      WebClient client = node.client;
      HttpResponse<Buffer> down = post(client);
      assertEquals(503, down.statusCode(), down.bodyAsString());
      assertTrue(down.bodyAsJsonObject().getString("error").contains("no sandbox"), down.bodyAsString());
      HttpResponse<Buffer> sick = client.get("/health").send().await();
      assertEquals(503, sick.statusCode(), sick.bodyAsString());
      assertEquals("unhealthy", sick.bodyAsJsonObject().getString("status"), sick.bodyAsString());

      Files.createSymbolicLink(socket, Path.of(System.getenv().getOrDefault("RUNNER_PODMAN_SOCKET", "/run/runner/podman.sock")));
      HttpResponse<Buffer> up = down;
      for (int i = 0; i < 20 && up.statusCode() != 200; i++) up = post(client); // the pool retries with a growing pause
      assertEquals(200, up.statusCode(), up.bodyAsString());
      assertEquals(1, up.bodyAsJsonObject().getJsonObject("summary").getInteger("visible_passed"));
      assertEquals("healthy", client.get("/health").send().await().bodyAsJsonObject().getString("status"));
    } finally {
      Files.deleteIfExists(socket);
    }
  }

  @Test
  void aFullNodeRefusesAtOnceAndServesAgainAfterwards() throws InterruptedException {
    try (TestNode node = TestNode.start(TestEnvironment.node(1, Map.of("RUNNER_MAX_PENDING", "1")))) {
      WebClient client = node.client;
      JsonObject slow = JOB.copy().put("code", "import time\ntime.sleep(2)\nprint(input()[::-1])");
      Future<HttpResponse<Buffer>> first = client.post("/run").sendJsonObject(slow);
      int pending = 0;
      for (int i = 0; i < 200 && pending == 0; i++) { // until the first one is admitted
        pending = client.get("/health").send().await().bodyAsJsonObject().getInteger("pending_jobs");
        if (pending == 0) Thread.sleep(10);
      }
      assertEquals(1, pending);
      HttpResponse<Buffer> refused = post(client);
      assertEquals(503, refused.statusCode(), refused.bodyAsString());
      assertEquals("1", refused.getHeader("retry-after"));
      assertTrue(refused.bodyAsJsonObject().getString("error").contains("busy"), refused.bodyAsString());
      assertEquals(200, first.await().statusCode());
      assertEquals(200, post(client).statusCode());
    }
  }

  @Test
  void aSandboxRemovedUnderTheNodeIsReplacedAndTheJobStillRuns() {
    try (TestNode node = TestNode.start(TestEnvironment.node(1))) {
      WebClient client = node.client;
      assertEquals(200, post(client).statusCode());
      PodmanClient podman = new PodmanClient(node.vertx, node.config.podmanSocket());
      List<String> sandboxes = podman.listByLabel(SandboxSpec.LABEL, node.config.sandboxLabel()).await();
      assertFalse(sandboxes.isEmpty());
      Future.all(sandboxes.stream().map(podman::remove).toList()).await();

      // Their supervisors' connections closed: the pool replaces them at once, before any job asks.
      List<String> now = sandboxes;
      for (int i = 0; i < 100 && (now.size() < sandboxes.size() || now.stream().anyMatch(sandboxes::contains)); i++) {
        node.vertx.timer(100).await();
        now = podman.listByLabel(SandboxSpec.LABEL, node.config.sandboxLabel()).await();
      }
      assertEquals(sandboxes.size(), now.size(), "replaced: " + now);
      assertTrue(now.stream().noneMatch(sandboxes::contains), "replaced: " + now);

      HttpResponse<Buffer> r = post(client);
      assertEquals(200, r.statusCode(), r.bodyAsString());
      assertEquals(1, r.bodyAsJsonObject().getJsonObject("summary").getInteger("visible_passed"));
    }
  }
}

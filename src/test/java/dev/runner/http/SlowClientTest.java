package dev.runner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.Main;
import dev.runner.TestEnvironment;
import dev.runner.config.RunnerConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Clients that open connections and send nothing, half a header or one byte of a body must not
 * lock a real node out, and are closed once their timeouts (here 2 s for headers, 3 s for a body)
 * pass; a job the client silently waits for is not cut by them.
 */
class SlowClientTest {
  private static final JsonObject JOB = new JsonObject("""
      {"language": "python", "code": "print(input()[::-1])",
       "tests": {"visible": [{"id": "a", "input": "abc", "expected_output": "cba"}]}}""");
  private static Vertx node;
  private static WebClient client;
  private static RunnerConfig config;

  @BeforeAll
  static void start() {
    config = TestEnvironment.node(1, Map.of("RUNNER_HEADER_TIMEOUT_S", "2", "RUNNER_BODY_TIMEOUT_S", "3"));
    node = Main.start(config).await();
    client = WebClient.create(node, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(config.httpPort())
        .setKeepAliveTimeout(1)); // closes its idle connections before the node does (2 s)
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close().await();
    TestEnvironment.assertNoSandboxesLeft(config);
  }

  private static JsonObject health() {
    return client.get("/health").send().await().bodyAsJsonObject();
  }

  @Test
  void slowClientsHoldNothingAndAreClosedAfterTheirTimeouts() {
    List<Socket> slowBodies = new ArrayList<>(), silent = new ArrayList<>();
    try {
      long opened = System.nanoTime();
      for (int i = 0; i < 70; i++) slowBodies.add(RawHttp.open(config.httpPort(), RawHttp.post("{", 1000)));
      for (int i = 0; i < 10; i++) silent.add(RawHttp.open(config.httpPort(), ""));
      for (int i = 0; i < 10; i++) silent.add(RawHttp.open(config.httpPort(), "POST /run HTT"));

      // More slow requests than RUNNER_MAX_PENDING (64): still, a real job runs.
      HttpResponse<Buffer> r = client.post("/run").sendJsonObject(JOB).await();
      assertEquals(200, r.statusCode(), r.bodyAsString());
      assertEquals(1, r.bodyAsJsonObject().getJsonObject("summary").getInteger("passed"));
      JsonObject h = health();
      assertEquals(0, h.getInteger("pending_jobs"), h.encode());
      assertTrue(h.getLong("body_bytes_held") <= 70, h.encode()); // one byte each, no more

      for (Socket s : slowBodies) {
        String response = RawHttp.readToEnd(s);
        assertTrue(response.startsWith("HTTP/1.1 408 "), response);
        assertTrue(response.contains("\"status\":408") && response.contains("did not arrive within 3 s"), response);
      }
      for (Socket s : silent) assertEquals("", RawHttp.readToEnd(s));
      assertTrue(System.nanoTime() - opened > 1_500_000_000L, "closed before the header timeout");
      h = health();
      assertEquals(0, h.getLong("body_bytes_held"), h.encode());
    } finally {
      slowBodies.forEach(RawHttp::close);
      silent.forEach(RawHttp::close);
    }
  }

  @Test
  void aKeptAliveConnectionIsClosedWhenItSendsNoNextRequest() {
    Socket s = RawHttp.open(config.httpPort(), "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
    try {
      assertTrue(RawHttp.readResponse(s).startsWith("HTTP/1.1 200 "));
      long answered = System.nanoTime();
      assertEquals("", RawHttp.readToEnd(s));
      long idleMs = (System.nanoTime() - answered) / 1_000_000;
      assertTrue(idleMs > 1_500 && idleMs < 10_000, "closed after " + idleMs + " ms");
    } finally {
      RawHttp.close(s);
    }
  }

  @Test
  void aStreamedResponseLeavesItsConnectionUnderTheHeaderTimeout() throws Exception {
    String body = JOB.encode();
    Socket s = RawHttp.open(config.httpPort(), RawHttp.post(body, body.length()).replace("POST /run ", "POST /run?stream "));
    try {
      // The chunked NDJSON response, to its last chunk.
      java.io.InputStream in = s.getInputStream();
      StringBuilder streamed = new StringBuilder();
      while (!streamed.toString().endsWith("\r\n0\r\n\r\n")) {
        int c = in.read();
        if (c < 0) throw new AssertionError("the server closed the connection mid-response: " + streamed);
        streamed.append((char) c);
      }
      assertTrue(streamed.toString().startsWith("HTTP/1.1 200 ") && streamed.toString().contains("\"type\":\"done\""), streamed.toString());
      long answered = System.nanoTime();
      assertEquals("", RawHttp.readToEnd(s), "a kept-alive connection after a stream is idle like any other");
      long idleMs = (System.nanoTime() - answered) / 1_000_000;
      assertTrue(idleMs > 1_500 && idleMs < 10_000, "closed after " + idleMs + " ms");
    } finally {
      RawHttp.close(s);
    }
  }

  @Test
  void aJobLongerThanTheTimeoutsIsNotCut() {
    JsonObject slow = JOB.copy().put("code", "import time\ntime.sleep(5)\nprint(input()[::-1])").put("timeout_seconds", 10);
    HttpResponse<Buffer> r = client.post("/run").sendJsonObject(slow).await();
    assertEquals(200, r.statusCode(), r.bodyAsString());
    assertEquals(1, r.bodyAsJsonObject().getJsonObject("summary").getInteger("passed"), r.bodyAsString());
    // The same over a raw connection that sends the whole request and then nothing while it waits.
    String body = slow.encode();
    Socket s = RawHttp.open(config.httpPort(), RawHttp.post(body, body.length()));
    try {
      String response = RawHttp.readResponse(s);
      assertTrue(response.startsWith("HTTP/1.1 200 ") && response.contains("\"passed\":1"), response);
    } finally {
      RawHttp.close(s);
    }
  }
}
